"""Retention: drop whole date partitions older than a date, in the hot tier, the cold tier
(`loglake archive`) or both. The manifest changes first; files go after the commit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from loglake.errors import ConfigError
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
    recompute_totals(manifest)
    manifest["dataset_version"] += 1
    manifest.setdefault("retention", []).append({"before": cutoff, "at": now_iso(), **result})
    lake = LakeFS(root)
    publish_manifest(lake, manifest)
    committed = Manifest(root, manifest)
    for rel, art in doomed.items():
        committed.tier_fs(Tier(art.get("tier", Tier.HOT))).remove(rel)
    for stream in {a["stream"] for a in doomed.values()}:
        lake.remove_empty_folders(stream)
    return result, manifest
