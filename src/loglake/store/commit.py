"""Committing a new manifest, and cleaning up after a change that was killed.

A commit never renames or rewrites a committed file, so the same steps hold on object
storage as on a local disk:
1. the new data files are published under their final, unique names (`part-<ingest_id>-…`):
   not listed by any manifest yet, they are not part of the dataset;
2. the new manifest is written once as `manifests/<version>.json` (a version can be
   created only once, so two writers cannot both commit the same one);
3. `manifest.json` is replaced by the same bytes: the one atomic step readers see;
4. `index/file_map.json` follows, and versions older than the last few are dropped.
A commit killed before step 3 leaves the previous version in force, and `recover` (run
under the ingest lock before the next change) removes what it left: unlisted files and
manifest versions beyond the current one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from loglake.errors import StoreError
from loglake.layout import (
    FILE_MAP,
    GZ_INDEX_DIR,
    MANIFEST,
    MANIFESTS,
    SOURCE_DIR,
    TEMPLATES_DIR,
    manifest_version_relpath,
    staging_area,
)
from loglake.schema import Stream
from loglake.store.fs import LakeFS, json_bytes
from loglake.store.manifest import file_map_of, load_manifest, now_iso
from loglake.store.templates import templates_key

MAX_INGESTS_KEPT = 500
VERSIONS_KEPT = 10  # manifest versions kept in manifests/ (a record: readers use manifest.json)


def commit(root: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """Publish the staged files, then the new manifest and file map."""
    lake = LakeFS(root)
    for relpath in _staged_files(staging):
        lake.publish(staging / relpath, relpath)
    publish_manifest(lake, manifest)
    shutil.rmtree(staging, ignore_errors=True)


def publish_manifest(lake: LakeFS, manifest: dict[str, Any]) -> None:
    """Make `manifest` the committed one: its version written once, then manifest.json."""
    manifest["updated"] = now_iso()
    manifest["ingests"] = manifest["ingests"][-MAX_INGESTS_KEPT:]
    body = json_bytes(manifest)
    version = manifest["dataset_version"]
    try:
        lake.write_once(manifest_version_relpath(version), body)
    except FileExistsError:
        raise StoreError(
            f"dataset version {version} was committed by another writer; run the change again"
        ) from None
    lake.replace(MANIFEST, body)
    lake.replace(FILE_MAP, json_bytes(file_map_of(manifest)))
    for rel, old in _versions(lake):
        if old <= version - VERSIONS_KEPT:
            lake.remove(rel)


def _versions(lake: LakeFS) -> list[tuple[str, int]]:
    """(path, version) of every file in manifests/ (-1 for one that is not a version)."""
    found = []
    for rel in lake.files(MANIFESTS):
        stem = rel.rsplit("/", 1)[-1].removesuffix(".json")
        found.append((rel, int(stem) if stem.isdigit() else -1))
    return found


def _staged_files(staging: Path) -> list[str]:
    if not staging.exists():
        return []
    return sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())


def recover(root: Path) -> list[str]:
    """Undo what a killed ingest, compaction or retention left behind; returns what went.

    Called with the ingest lock held, so no live change owns the staging area.
    """
    removed: list[str] = []
    staging = staging_area(root)
    if staging.exists():
        removed.extend(str(p) for p in staging.iterdir())
        shutil.rmtree(staging, ignore_errors=True)
    lake = LakeFS(root)
    if not lake.exists(""):
        return removed
    manifest = load_manifest(root)
    known = set(manifest["artifacts"])
    for entry in manifest["files"].values():
        known.update(entry[k] for k in ("gz_index", "copy") if entry.get(k))
    for stream in Stream:
        for rel in lake.files(stream.value):
            if rel.endswith(".parquet") and rel not in known:
                lake.remove(rel)
                removed.append(rel)
        lake.remove_empty_folders(stream.value)
    known.add(templates_key(manifest) or "")
    for extra_dir in (GZ_INDEX_DIR, SOURCE_DIR, TEMPLATES_DIR):
        for rel in lake.files(extra_dir):
            if rel.count("/") == extra_dir.count("/") + 1 and rel not in known:
                lake.remove(rel)
                removed.append(rel)
    for rel, version in _versions(lake):
        if version > manifest["dataset_version"] or version < 0:  # never made current
            lake.remove(rel)
            removed.append(rel)
    if lake.exists(MANIFEST) and _file_map_version(lake) != manifest["dataset_version"]:
        lake.replace(FILE_MAP, json_bytes(file_map_of(manifest)))
        removed.append(f"{FILE_MAP} (rewritten from the manifest)")
    return removed


def _file_map_version(lake: LakeFS) -> Any:
    try:
        current = json.loads(lake.read(FILE_MAP))
    except (OSError, ValueError):
        return None
    return current.get("dataset_version") if isinstance(current, dict) else None
