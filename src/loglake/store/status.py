"""What a dataset holds, read from its manifest and summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.ingest.manifest import load_manifest
from loglake.layout import DATASET_SUMMARY, manifest_path


def require_dataset(root: Path) -> None:
    """Raise a clear error when there is no dataset at `root`."""
    if not manifest_path(root).exists():
        raise StoreError(
            f"no dataset at {root} (no manifest.json); run `loglake ingest FILE --out {root}`"
        )


def dataset_status(root: Path) -> dict[str, Any]:
    """Streams with row and partition counts, files, and the latest ingests."""
    require_dataset(root)
    manifest = load_manifest(root)
    artifacts = manifest["artifacts"]
    return {
        "root": str(root),
        "dataset_version": manifest["dataset_version"],
        "updated": manifest["updated"],
        "streams": {
            name: {
                "rows": entry["rows"],
                "partitions": entry["partitions"],
                "bytes": sum(a["bytes"] for a in artifacts.values() if a["stream"] == name),
                "files": sum(1 for a in artifacts.values() if a["stream"] == name),
            }
            for name, entry in manifest["streams"].items()
        },
        "files": [
            {"file_id": file_id, **{k: entry.get(k) for k in ("path", "format", "size", "lines")}}
            for file_id, entry in manifest["files"].items()
        ],
        "ingests": [
            {
                k: ing.get(k)
                for k in (
                    "ingest_id",
                    "finished",
                    "bytes",
                    "rows",
                    "bad_lines",
                    "bad_samples",
                    "timings",
                    "options",
                    "files",
                )
            }
            for ing in manifest["ingests"][-10:]
        ],
    }


def dataset_summary(root: Path) -> dict[str, Any]:
    """The precomputed dataset summary (recomputed when it is older than the manifest)."""
    require_dataset(root)
    manifest = load_manifest(root)
    path = root / DATASET_SUMMARY
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        summary = {}
    if summary.get("dataset_version") != manifest["dataset_version"]:
        from loglake.ingest.summaries import write_summaries

        write_summaries(root, manifest, None)
        summary = json.loads(path.read_text())
    if not isinstance(summary, dict):
        raise StoreError(f"{path}: unreadable summary; run `loglake rebuild-summaries`")
    return summary
