"""Retention: drop whole date partitions older than a date, in the hot tier, the cold tier
(`loglake archive`) or both. The manifest changes first; files go after the commit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from loglake.errors import ConfigError
from loglake.schema import Stream
from loglake.store.commit import publish_manifest
from loglake.store.fs import LakeFS
from loglake.store.listeners import Commit, Listener, notify
from loglake.store.lock import dataset_change
from loglake.store.manifest import Manifest, Tier, load_manifest, now_iso, recompute_totals
from loglake.store.pending import drop_pending


def parse_date(text: str) -> str:
    """A YYYY-MM-DD date, validated."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def _ignore(_message: str) -> None:
    return None


TIERS = ("all", Tier.HOT.value, Tier.COLD.value)


def clean_before(
    root: Path,
    before: str,
    dry_run: bool = False,
    tier: str = "all",
    warn: Callable[[str], None] = _ignore,
    listeners: Sequence[Listener] = (),
) -> dict[str, Any]:
    """Remove every partition dated before `before`; the manifest changes first."""
    cutoff = parse_date(before)
    if tier not in TIERS:
        raise ConfigError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    with dataset_change(root, f"clean-{os.getpid()}", warn=warn):
        for item in drop_pending(root):
            warn(f"removed an upload of an interrupted archive: {item}")
        result, manifest = _clean(root, cutoff, dry_run, tier)
        if manifest is not None:
            notify(listeners, Commit(Manifest(root, manifest)), warn)
        return result


def _clean(
    root: Path, cutoff: str, dry_run: bool, tier: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What was (or would be) removed, and the manifest committed (None if none was)."""
    manifest = load_manifest(root)
    doomed = {
        rel: a
        for rel, a in manifest["artifacts"].items()
        if a["date"] < cutoff and tier in ("all", a.get("tier", Tier.HOT))
    }
    result = {
        "before": cutoff,
        "tier": tier,
        "files": len(doomed),
        "rows": sum(a["rows"] for a in doomed.values()),
        "partitions": sorted({f"{a['stream']}/date={a['date']}" for a in doomed.values()}),
        "dry_run": dry_run,
    }
    if dry_run or not doomed:
        return result, None
    for rel in doomed:
        del manifest["artifacts"][rel]
    segments = _unneeded_segments(Manifest(root, manifest))
    result["raw_segments"] = len(segments)
    recompute_totals(manifest)
    manifest["dataset_version"] += 1
    manifest.setdefault("retention", []).append({"before": cutoff, "at": now_iso(), **result})
    lake = LakeFS(root)
    publish_manifest(lake, manifest)
    committed = Manifest(root, manifest)
    for rel, art in doomed.items():
        committed.tier_fs(Tier(art.get("tier", Tier.HOT))).remove(rel)
    for rel in segments:
        committed.tier_fs(Tier.COLD).remove(rel)
    for stream in {a["stream"] for a in doomed.values()}:
        lake.remove_empty_folders(stream)
    return result, manifest


def _unneeded_segments(manifest: Manifest) -> list[str]:
    """Drop from `manifest` the cold raw segments no remaining row can point into; their
    paths. A segment is kept while some row of its source starts before its end (the lowest
    offset of each source's rows is read from the `events` files' row-group statistics, which
    hold every line: conservative, a segment is never dropped while a row may need it)."""
    cold = {f: e["cold"] for f, e in manifest.data["files"].items() if e.get("cold")}
    if not cold:
        return []
    lowest = _lowest_offsets(manifest, set(cold))
    dropped: list[str] = []
    for file_id, entry in cold.items():
        floor = lowest.get(file_id)
        keep = [seg for seg in entry["segments"] if floor is not None and seg["end"] > floor]
        dropped.extend(seg["path"] for seg in entry["segments"] if seg not in keep)
        entry["segments"] = keep
    return dropped


def _lowest_offsets(manifest: Manifest, file_ids: set[str]) -> dict[str, int]:
    """For each of `file_ids`, a lower bound of the offsets of its rows still listed."""
    import pyarrow.parquet as pq

    lowest: dict[str, int] = {}
    for loc in manifest.locations(Stream.EVENTS):
        with manifest.tier_fs(loc.tier).open(loc.key) as f:
            meta = pq.ParquetFile(f).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        id_col, offset_col = names.index("file_id"), names.index("file_offset")
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            ids, offsets = group.column(id_col).statistics, group.column(offset_col).statistics
            if ids is None or offsets is None or not ids.has_min_max:
                lo_id, hi_id, floor = min(file_ids), max(file_ids), 0  # unknown: keep all
            else:
                lo_id, hi_id, floor = ids.min, ids.max, offsets.min
            for file_id in file_ids:
                if lo_id <= file_id <= hi_id:
                    lowest[file_id] = min(lowest.get(file_id, floor), floor)
    return lowest
