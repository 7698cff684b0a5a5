"""Where everything lives inside a dataset root (one place for every path)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from loglake.config import is_remote

MANIFEST = "manifest.json"
MANIFESTS = "manifests"  # every committed manifest version, written once (the latest few kept)
FILE_MAP = "index/file_map.json"
GZ_INDEX_DIR = "index/gz"
ARCHIVE_PENDING = "index/archive-pending.json"  # cold objects an archive is uploading
STAGING = ".staging"
LOCK = ".ingest.lock"
SOURCE_DIR = "source"
SUMMARIES = "summaries"
DATASET_SUMMARY = "summaries/dataset.json"
ROLLUPS = "rollups"  # slow-query rollups: index.json and one folder per part
ROLLUP_INDEX = "rollups/index.json"
TEMPLATES_DIR = "templates"  # the message templates, one file per ingest that changed them
COLD_RAW = "raw"  # on the cold root: compressed segments of the raw lines of archived rows
# a Parquet file of a stream's date partition, relative to the root (or the cold root)
PARTITION_FILE = "{stream}/{column}={date}/part-{part}.parquet"


def manifest_version_relpath(version: int) -> str:
    """The write-once copy of one manifest version, relative to the root."""
    return f"{MANIFESTS}/{version:012d}.json"


def gz_index_relpath(file_id: str, suffix: str = ".gzidx") -> str:
    """The seek index of a compressed source (its codec's `index_suffix`), relative to the root."""
    return f"{GZ_INDEX_DIR}/{file_id}{suffix}"


def staging_area(root: Path) -> Path:
    """Where changes of a dataset stage their files before they commit: `.staging/` under a
    local root; for a root on object storage a folder of this machine's temporary disk
    (files are written locally, then published to the store)."""
    if is_remote(root):
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "loglake-staging" / digest
    return root / STAGING


def staging_dir(root: Path, ingest_id: str) -> Path:
    """Where an ingest writes before it commits."""
    return staging_area(root) / ingest_id


def lock_path(root: Path) -> Path:
    """The ingest lock file."""
    return root / LOCK


def summary_path(root: Path, ingest_id: str) -> Path:
    """The per-ingest summary."""
    return root / summary_relpath(ingest_id)


def summary_relpath(ingest_id: str) -> str:
    """The per-ingest summary, relative to the root."""
    return f"{SUMMARIES}/ingest-{ingest_id}.json"


def cold_raw_relpath(file_id: str, archive_id: str) -> str:
    """The compressed raw-line segment an archive wrote for a source, under the cold root."""
    return f"{COLD_RAW}/{file_id}/{archive_id}.zst"


def templates_relpath(ingest_id: str) -> str:
    """The templates table an ingest committed, relative to the root."""
    return f"{TEMPLATES_DIR}/templates-{ingest_id}.parquet"


ALERTS = "alerts"  # alert rules added through the API, evaluation state, the alert log
ALERT_RULES = "alerts/rules.json"
ALERT_STATE = "alerts/state.json"
ALERT_LOG = "alerts/log"  # write-once JSONL files, one per evaluation, ack or delivery
