"""Compaction: merge a partition's many small Parquet files into one.

`--follow` commits a few small files every round; left alone, partitions (and the
manifest) would grow without bound. Compaction rewrites each crowded partition as one
file, with the same commit protocol as an ingest (`store/commit.py`): the merged file is
staged, published, the manifest committed, and only then are the old files deleted (a
killed compaction leaves either the old files or the new one listed, and `recover` removes
the other). The after-commit listeners run as after an ingest.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from loglake.ingest.writer import file_digest
from loglake.layout import PARTITION_FILE, staging_dir
from loglake.schema import PARTITION_COLUMN, Stream, arrow_schema, schema_id
from loglake.store.commit import commit
from loglake.store.evolution import read_conformed
from loglake.store.fs import LakeFS
from loglake.store.listeners import Commit, Listener, notify
from loglake.store.lock import dataset_change
from loglake.store.manifest import Location, Manifest, Tier, load_manifest

MIN_FILES = 8  # a partition with fewer files is left alone


def crowded_partitions(
    manifest: Manifest, min_files: int = MIN_FILES
) -> dict[tuple[Stream, str], list[Location]]:
    """The files of each (stream, date) partition that holds at least `min_files` of them."""
    partitions: dict[tuple[Stream, str], list[Location]] = defaultdict(list)
    for stream in Stream:
        for loc in manifest.locations(stream, Tier.HOT):  # the cold tier is compacted already
            partitions[stream, loc.date].append(loc)
    return {key: locs for key, locs in sorted(partitions.items()) if len(locs) >= min_files}


def _ignore(_message: str) -> None:
    return None


def compact(
    root: Path,
    min_files: int = MIN_FILES,
    compression: str = "zstd",
    warn: Callable[[str], None] = _ignore,
    listeners: Sequence[Listener] = (),
) -> dict[str, int]:
    """Merge crowded partitions under the ingest lock; returns what was done."""
    with dataset_change(root, f"compact-{os.getpid()}", warn=warn):
        done, manifest = _compact(root, min_files, compression)
        if manifest is not None:
            notify(listeners, Commit(Manifest(root, manifest)), warn)
        return done


def _compact(
    root: Path, min_files: int, compression: str
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """What was done, and the manifest committed (None when nothing was crowded)."""
    manifest = load_manifest(root)
    crowded = crowded_partitions(Manifest(root, manifest), min_files)
    if not crowded:
        return {"partitions": 0, "files_before": 0, "files_after": 0}, None
    compaction_id = "compact-" + uuid.uuid4().hex[:8]
    staging = staging_dir(root, compaction_id)
    doomed: list[str] = []
    for (stream, date), olds in crowded.items():
        stream_name = stream.value
        relpath = PARTITION_FILE.format(
            stream=stream_name, column=PARTITION_COLUMN, date=date, part=compaction_id
        )
        target = staging / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with pq.ParquetWriter(
            target, arrow_schema(stream), compression=None if compression == "none" else compression
        ) as writer:
            for old in olds:
                table = read_conformed(old.path, stream)
                writer.write_table(table)
                rows += table.num_rows
        for old in olds:
            del manifest["artifacts"][old.key]
        manifest["artifacts"][relpath] = {
            "stream": stream_name,
            "date": date,
            "rows": rows,
            "bytes": target.stat().st_size,
            "sha256": file_digest(target),
            "schema": schema_id(stream),
            "ingest_id": compaction_id,
        }
        doomed.extend(old.key for old in olds)
    manifest["dataset_version"] += 1
    commit(root, staging, manifest)
    lake = LakeFS(root)
    for rel in doomed:
        lake.remove(rel)
    done = {"partitions": len(crowded), "files_before": len(doomed), "files_after": len(crowded)}
    return done, manifest
