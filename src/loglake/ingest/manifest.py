"""The manifest: the single, atomically replaced commit point of a dataset.

An ingest stages every file under `.staging/<ingest_id>/`, moves them into place, then
replaces `manifest.json`. Files not listed in the manifest are not part of the dataset:
`recover` deletes them (and any staging left by a killed ingest) before the next change.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.layout import FILE_MAP, GZ_INDEX_DIR, SOURCE_DIR, STAGING, file_map_path, manifest_path
from loglake.schema import Stream

FORMAT_VERSION = 1
MAX_INGESTS_KEPT = 500


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
    return fresh


def load_manifest(root: Path) -> dict[str, Any]:
    """The committed manifest (an empty one when the dataset does not exist yet)."""
    path = manifest_path(root)
    if not path.exists():
        return empty_manifest()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable manifest ({exc}); restore it from a backup") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise StoreError(f"{path}: not a loglake manifest of format {FORMAT_VERSION}")
    return data


def stamp_of(path: Path) -> tuple[int, int, int]:
    """What tells a replaced file apart without reading it: mtime, size, inode (0s if absent)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def file_map_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The file map derived from a manifest: file_id -> where its bytes are."""
    files = {
        file_id: {
            k: entry.get(k)
            for k in ("path", "copy", "size", "gzip", "gz_index", "format", "fingerprint")
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


def commit(root: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """Move staged files into place, then publish the new manifest and file map."""
    for relpath in _staged_files(staging):
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / relpath).replace(target)
    manifest["updated"] = now_iso()
    manifest["ingests"] = manifest["ingests"][-MAX_INGESTS_KEPT:]
    write_json_atomic(manifest_path(root), manifest)
    write_json_atomic(file_map_path(root), file_map_of(manifest))
    shutil.rmtree(staging, ignore_errors=True)


def _staged_files(staging: Path) -> list[str]:
    if not staging.exists():
        return []
    return sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())


def recover(root: Path) -> list[str]:
    """Undo what a killed ingest left behind; returns what was removed.

    Called with the ingest lock held, so no live ingest owns the staging area.
    """
    removed: list[str] = []
    staging = root / STAGING
    if staging.exists():
        removed.extend(str(p) for p in staging.iterdir())
        shutil.rmtree(staging, ignore_errors=True)
    if not root.exists():
        return removed
    manifest = load_manifest(root)
    known = set(manifest["artifacts"])
    for entry in manifest["files"].values():
        known.update(entry[k] for k in ("gz_index", "copy") if entry.get(k))
    for stream in Stream:
        base = root / stream.value
        if not base.exists():
            continue
        for path in base.rglob("*.parquet"):
            rel = str(path.relative_to(root))
            if rel not in known:
                path.unlink()
                removed.append(rel)
        for part in sorted(base.iterdir(), reverse=True):
            if part.is_dir() and not any(part.iterdir()):
                part.rmdir()
    for extra_dir in (root / GZ_INDEX_DIR, root / SOURCE_DIR):
        if not extra_dir.exists():
            continue
        for path in extra_dir.iterdir():
            rel = str(path.relative_to(root))
            if path.is_file() and rel not in known:
                path.unlink()
                removed.append(rel)
    fmap = file_map_path(root)
    if manifest_path(root).exists():
        try:
            current = json.loads(fmap.read_text()) if fmap.exists() else {}
        except (OSError, ValueError):
            current = {}
        if current.get("dataset_version") != manifest["dataset_version"]:
            write_json_atomic(fmap, file_map_of(manifest))
            removed.append(f"{FILE_MAP} (rewritten from the manifest)")
    return removed
