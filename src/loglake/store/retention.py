"""Retention: drop whole date partitions older than a date."""

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
from loglake.store.manifest import Manifest, load_manifest, now_iso, recompute_totals


def parse_date(text: str) -> str:
    """A YYYY-MM-DD date, validated."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def _ignore(_message: str) -> None:
    return None


def clean_before(
    root: Path,
    before: str,
    dry_run: bool = False,
    warn: Callable[[str], None] = _ignore,
    listeners: Sequence[Listener] = (),
) -> dict[str, Any]:
    """Remove every partition dated before `before`; the manifest changes first."""
    cutoff = parse_date(before)
    with dataset_change(root, f"clean-{os.getpid()}", warn=warn):
        result, manifest = _clean(root, cutoff, dry_run)
        if manifest is not None:
            notify(listeners, Commit(Manifest(root, manifest)), warn)
        return result


def _clean(root: Path, cutoff: str, dry_run: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What was (or would be) removed, and the manifest committed (None if none was)."""
    manifest = load_manifest(root)
    doomed = {rel: a for rel, a in manifest["artifacts"].items() if a["date"] < cutoff}
    result = {
        "before": cutoff,
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
    for rel in doomed:
        lake.remove(rel)
    for stream in {a["stream"] for a in doomed.values()}:
        lake.remove_empty_folders(stream)
    return result, manifest
