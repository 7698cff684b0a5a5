"""What a dataset holds, read from its manifest."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.layout import MANIFEST
from loglake.schema import Stream
from loglake.store.fs import LakeFS
from loglake.store.manifest import Location, Manifest, Tier

_FILE_KEYS = ("path", "format", "fields", "size", "lines")


def require_dataset(root: Path) -> None:
    """Raise a clear error when there is no dataset at `root`."""
    if not LakeFS(root).exists(MANIFEST):
        raise StoreError(
            f"no dataset at {root} (no manifest.json); run `loglake ingest FILE --out {root}`"
        )


def dataset_status(root: Path) -> dict[str, Any]:
    """Streams with row and partition counts, files, and the latest ingests."""
    require_dataset(root)
    manifest = Manifest.load(root)
    data = manifest.data
    return {
        "root": str(root),
        "dataset_version": data["dataset_version"],
        "updated": data["updated"],
        "tiers": tier_status(manifest),
        # which fields an assistant's records fill each role from (analytics/interaction_profile)
        "interactions": {"profile": data.get("derived", {}).get("interactions", {}).get("profile")},
        "streams": {
            name: {
                "rows": entry["rows"],
                "partitions": entry["partitions"],
                **_files_and_bytes(manifest, Stream(name)),
            }
            for name, entry in data["streams"].items()
        },
        "files": [
            {"file_id": file_id, **{k: entry.get(k) for k in _FILE_KEYS}}
            for file_id, entry in data["files"].items()
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
            for ing in data["ingests"][-10:]
        ],
    }


def _files_and_bytes(manifest: Manifest, stream: Stream) -> dict[str, Any]:
    locations = manifest.locations(stream)
    return {
        "bytes": sum(loc.bytes for loc in locations),
        "files": len(locations),
        "tiers": {
            tier.value: _totals(loc for loc in locations if loc.tier == tier) for tier in Tier
        },
    }


def _totals(locations: Iterable[Location]) -> dict[str, int]:
    """Rows, bytes and files of some locations."""
    found = list(locations)
    return {
        "rows": sum(loc.rows for loc in found),
        "bytes": sum(loc.bytes for loc in found),
        "files": len(found),
    }


def tier_status(manifest: Manifest) -> dict[str, Any]:
    """Rows, bytes and files per tier over every stream, and where the cold tier is."""
    every = [loc for stream in Stream for loc in manifest.locations(stream)]
    out: dict[str, Any] = {t.value: _totals(loc for loc in every if loc.tier == t) for t in Tier}
    out[Tier.COLD.value]["root"] = manifest.cold_root
    return out
