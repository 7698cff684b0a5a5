"""The manifest: what a dataset holds, and the one answer to where a stream's files are.

`manifest.json` lists every committed Parquet file (`artifacts`, keyed by its path under the
root), every source (`files`) and the recent ingests. A file it does not list is not part
of the dataset, so readers take their file lists from `Manifest.locations` (never a glob);
`store/commit.py` is how a new manifest is committed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from loglake.errors import StoreError
from loglake.layout import MANIFEST, MANIFESTS
from loglake.schema import Stream
from loglake.store.fs import LakeFS, Stamp

FORMAT_VERSION = 1


class Tier(StrEnum):
    """Where a committed file is kept: `hot` is the dataset root, `cold` the cold root that
    `loglake archive` moved it to (recorded in the manifest as `tiers.cold.root`)."""

    HOT = "hot"
    COLD = "cold"


class Location(NamedTuple):
    """One committed Parquet file of a stream, with what the manifest records about it."""

    path: str  # as readers open it: a local path under the root, or a URL
    key: str  # its path under the root: the manifest's key for it
    date: str  # its partition, YYYY-MM-DD
    rows: int
    bytes: int
    ingest_id: str
    schema: str | None = None  # schema.schema_id when written (None: before ids were recorded)
    tier: Tier = Tier.HOT

    @property
    def schema_key(self) -> str:
        """What tells files of the same columns apart: the schema id, or (for files written
        before ids were recorded) the ingest that wrote them, as one ingest writes one schema."""
        return self.schema or f"ingest:{self.ingest_id}"


@dataclass(frozen=True)
class Manifest:
    """A committed manifest of the dataset at `root` (its JSON is `data`)."""

    root: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, root: Path) -> Manifest:
        """The committed manifest (an empty one when the dataset does not exist yet)."""
        return cls(root, load_manifest(root))

    @property
    def version(self) -> int:
        """The dataset version: one more with every commit."""
        return int(self.data["dataset_version"])

    @property
    def cold_root(self) -> str | None:
        """The cold tier's root (a URL or a local path), once something was archived."""
        return cold_root_of(self.data)

    def tier_fs(self, tier: Tier) -> LakeFS:
        """The filesystem and root a tier's files live under."""
        if tier == Tier.HOT:
            return LakeFS(self.root)
        root = self.cold_root
        if root is None:
            raise StoreError("this dataset has no cold tier (nothing was archived)")
        return LakeFS(root)

    def locations(self, stream: Stream, tier: Tier | None = None) -> list[Location]:
        """The committed files of a stream in one tier (every tier when None), sorted by
        partition date then path: readers span both tiers without choosing."""
        fss = {t: self.tier_fs(t) for t in Tier if t == Tier.HOT or self.cold_root is not None}
        return sorted(
            (
                Location(
                    fss[Tier(a.get("tier", Tier.HOT))].path(key),
                    key,
                    a["date"],
                    a["rows"],
                    a["bytes"],
                    a["ingest_id"],
                    a.get("schema"),
                    Tier(a.get("tier", Tier.HOT)),
                )
                for key, a in self.data["artifacts"].items()
                if a["stream"] == stream and (tier is None or a.get("tier", Tier.HOT) == tier)
            ),
            key=lambda loc: (loc.date, loc.path),
        )


def cold_root_of(manifest: dict[str, Any]) -> str | None:
    """The cold root a manifest records (None before the first archive)."""
    root = manifest.get("tiers", {}).get(Tier.COLD, {}).get("root")
    return str(root) if root else None


def now_iso() -> str:
    """The current UTC time as ISO-8601."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def empty_manifest() -> dict[str, Any]:
    """The manifest of a dataset with nothing in it."""
    return {
        "format_version": FORMAT_VERSION,
        "dataset_version": 0,
        "updated": None,
        "streams": {s.value: {"rows": 0, "partitions": {}} for s in Stream},
        "artifacts": {},
        "files": {},
        "ingests": [],
    }


def replaced_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """An empty manifest that continues `manifest`'s version and ingest history."""
    fresh = empty_manifest()
    fresh["dataset_version"] = manifest["dataset_version"]
    fresh["ingests"] = manifest["ingests"]
    if manifest.get("tiers"):  # where the cold tier is stays known (emptied by the replace)
        fresh["tiers"] = manifest["tiers"]
    return fresh


def load_manifest(root: Path) -> dict[str, Any]:
    """The committed manifest's JSON (an empty manifest when the dataset does not exist)."""
    lake = LakeFS(root)
    try:
        data = json.loads(lake.read(MANIFEST))
    except FileNotFoundError:
        return empty_manifest()
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{lake.path(MANIFEST)}: unreadable manifest ({exc}); restore it from a backup "
            f"(the latest versions are kept in {MANIFESTS}/)"
        ) from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise StoreError(
            f"{lake.path(MANIFEST)}: not a loglake manifest of format {FORMAT_VERSION}"
        )
    return data


def manifest_stamp(root: Path) -> Stamp:
    """What tells a changed manifest apart without reading it."""
    return LakeFS(root).stamp(MANIFEST)


def file_map_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The file map derived from a manifest: file_id -> where its bytes are."""
    cold_root = cold_root_of(manifest)
    files = {
        file_id: {
            **{
                k: entry.get(k)
                for k in (
                    "path",
                    "copy",
                    "size",
                    "gzip",
                    "compression",
                    "gz_index",
                    "format",
                    "fingerprint",
                )
            },
            # the raw segments an archive copied, read where the hot source is gone
            "cold": {**entry["cold"], "root": cold_root} if entry.get("cold") else None,
        }
        for file_id, entry in manifest["files"].items()
    }
    return {"dataset_version": manifest["dataset_version"], "files": files}


def recompute_totals(manifest: dict[str, Any]) -> None:
    """Per-stream and per-partition row counts from the artifact list."""
    streams: dict[str, Any] = {s.value: {"rows": 0, "partitions": {}} for s in Stream}
    for art in manifest["artifacts"].values():
        entry = streams[art["stream"]]
        entry["rows"] += art["rows"]
        entry["partitions"][art["date"]] = entry["partitions"].get(art["date"], 0) + art["rows"]
    for entry in streams.values():
        entry["partitions"] = dict(sorted(entry["partitions"].items()))
    manifest["streams"] = streams
