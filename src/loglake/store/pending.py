"""Cold objects an archive was uploading when it was killed (`index/archive-pending.json`).

Before `loglake archive` uploads anything it records the objects it is about to write on the
cold root. Those the committed manifest does not list were left by an archive that never
committed: the next archive or clean (under the ingest lock) deletes them, and only them,
so nothing else sharing the bucket is ever touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loglake.layout import ARCHIVE_PENDING
from loglake.store.fs import LakeFS
from loglake.store.manifest import Tier, cold_root_of, load_manifest


def cold_objects(manifest: dict[str, Any]) -> set[str]:
    """Every cold-tier object a manifest lists: archived Parquet files and raw segments."""
    listed = {k for k, a in manifest["artifacts"].items() if a.get("tier") == Tier.COLD}
    for entry in manifest["files"].values():
        listed.update(seg["path"] for seg in (entry.get("cold") or {}).get("segments", ()))
    return listed


def drop_replaced_cold(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """After a commit that replaced the dataset (a wiping upload): delete the cold objects
    the old manifest listed and the new one does not."""
    root = cold_root_of(old)
    if root is None:
        return []
    cold = LakeFS(root)
    gone = sorted(cold_objects(old) - cold_objects(new))
    for rel in gone:
        cold.remove(rel)
    return [cold.path(rel) for rel in gone]


def drop_pending(root: Path) -> list[str]:
    """Delete the cold objects an interrupted archive uploaded that no manifest lists."""
    hot = LakeFS(root)
    if not hot.exists(ARCHIVE_PENDING):
        return []
    pending = json.loads(hot.read(ARCHIVE_PENDING))
    manifest = load_manifest(root)
    listed = cold_objects(manifest)
    cold = LakeFS(pending["root"])
    removed = []
    for rel in pending["objects"]:
        if rel not in listed and cold.exists(rel):
            cold.remove(rel)
            removed.append(cold.path(rel))
    hot.remove(ARCHIVE_PENDING)
    return removed
