"""Compaction: merge a partition's many small Parquet files into one.

`--follow` commits a few small files every round; left alone, partitions (and the
manifest) would grow without bound. Compaction rewrites each crowded partition as one
file, with the same commit protocol as an ingest: the merged file is staged, moved in,
the manifest replaced, and only then are the old files deleted (a killed compaction leaves
either the old files or the new one listed, and `recover` removes the other).
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from loglake.ingest.lock import ingest_lock
from loglake.ingest.manifest import commit, load_manifest, recover
from loglake.ingest.writer import file_digest
from loglake.layout import PARTITION_FILE, staging_dir
from loglake.schema import PARTITION_COLUMN, Stream, arrow_schema, schema_id
from loglake.store.evolution import read_conformed

MIN_FILES = 8  # a partition with fewer files is left alone


def crowded_partitions(manifest: dict[str, Any], min_files: int = MIN_FILES) -> list[tuple]:
    """(stream, date) pairs whose partition holds at least `min_files` files."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for art in manifest["artifacts"].values():
        counts[art["stream"], art["date"]] += 1
    return sorted(key for key, n in counts.items() if n >= min_files)


def compact(
    root: Path,
    min_files: int = MIN_FILES,
    compression: str = "zstd",
    warn: Callable[[str], None] = lambda _message: None,
) -> dict[str, int]:
    """Merge crowded partitions under the ingest lock; returns what was done."""
    with ingest_lock(root, f"compact-{os.getpid()}", force=False, warn=warn):
        for item in recover(root):
            warn(f"cleaned up after an interrupted ingest: {item}")
        return _compact(root, min_files, compression)


def _compact(root: Path, min_files: int, compression: str) -> dict[str, int]:
    manifest = load_manifest(root)
    crowded = crowded_partitions(manifest, min_files)
    if not crowded:
        return {"partitions": 0, "files_before": 0, "files_after": 0}
    compaction_id = "compact-" + uuid.uuid4().hex[:8]
    staging = staging_dir(root, compaction_id)
    doomed: list[str] = []
    for stream_name, date in crowded:
        stream = Stream(stream_name)
        olds = sorted(
            rel
            for rel, art in manifest["artifacts"].items()
            if art["stream"] == stream_name and art["date"] == date
        )
        relpath = PARTITION_FILE.format(
            stream=stream_name, column=PARTITION_COLUMN, date=date, part=compaction_id
        )
        target = staging / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with pq.ParquetWriter(
            target, arrow_schema(stream), compression=None if compression == "none" else compression
        ) as writer:
            for rel in olds:
                table = read_conformed(str(root / rel), stream)
                writer.write_table(table)
                rows += table.num_rows
        for rel in olds:
            del manifest["artifacts"][rel]
        manifest["artifacts"][relpath] = {
            "stream": stream_name,
            "date": date,
            "rows": rows,
            "bytes": target.stat().st_size,
            "sha256": file_digest(target),
            "schema": schema_id(stream),
            "ingest_id": compaction_id,
        }
        doomed.extend(olds)
    manifest["dataset_version"] += 1
    commit(root, staging, manifest)
    for rel in doomed:
        (root / rel).unlink(missing_ok=True)
    return {"partitions": len(crowded), "files_before": len(doomed), "files_after": len(crowded)}
