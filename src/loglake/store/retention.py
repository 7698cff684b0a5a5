"""Retention: drop whole date partitions older than a date."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loglake.errors import ConfigError
from loglake.ingest.lock import ingest_lock
from loglake.ingest.manifest import (
    file_map_of,
    load_manifest,
    now_iso,
    recompute_totals,
    recover,
    write_json_atomic,
)
from loglake.ingest.summaries import write_summaries
from loglake.layout import file_map_path, manifest_path


def parse_date(text: str) -> str:
    """A YYYY-MM-DD date, validated."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def clean_before(
    root: Path, before: str, dry_run: bool = False, warn: Callable[[str], None] = print
) -> dict[str, Any]:
    """Remove every partition dated before `before`; the manifest changes first."""
    cutoff = parse_date(before)
    with ingest_lock(root, f"clean-{os.getpid()}", force=False, warn=warn):
        for item in recover(root):
            warn(f"cleaned up after an interrupted ingest: {item}")
        return _clean(root, cutoff, dry_run)


def _clean(root: Path, cutoff: str, dry_run: bool) -> dict[str, Any]:
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
        return result
    for rel in doomed:
        del manifest["artifacts"][rel]
    recompute_totals(manifest)
    manifest["dataset_version"] += 1
    manifest["updated"] = now_iso()
    manifest.setdefault("retention", []).append({"before": cutoff, "at": now_iso(), **result})
    write_json_atomic(manifest_path(root), manifest)
    write_json_atomic(file_map_path(root), file_map_of(manifest))
    for rel in doomed:
        path = root / rel
        path.unlink(missing_ok=True)
        if path.parent.exists() and not any(path.parent.iterdir()):
            path.parent.rmdir()
    write_summaries(root, manifest, None)
    return result
