"""Archive: move partitions older than a cut to the cold tier, in one manifest commit.

`loglake archive --older-than 7d --to s3://bucket/prefix` (or `LOGLAKE_COLD_ROOT`, or a
local path) takes, under the ingest lock, every hot (stream, date) partition dated before
today minus the age, and:
1. stages locally one large zstd Parquet file per partition (its hot files conformed and
   concatenated in the views' order, row groups of `chunk_rows`), and for every source the
   rows point into, a compressed segment of the raw bytes up to its last archived row
   (`store/coldraw.py`), so detail and search keep working once the hot source is deleted;
2. records what it is about to upload in `index/archive-pending.json` (the only cold
   objects a later run may delete without the manifest listing them);
3. uploads them to the cold root under unique names (`part-archive-<id>`);
4. verifies every object read back from the cold root: size, sha256, and for Parquet the
   row count in its footer;
5. commits one manifest in which the partitions' files are the cold ones (`tier: cold`),
   the sources carry their segments' offset index and `tiers.cold.root` says where they are;
6. only then deletes the hot files, and the pending record.
Killed before step 5, the old manifest is in force and the next archive (or clean) deletes
the uploaded objects; killed after it, the new one is, and the next change deletes the hot
files no manifest lists (`store/commit.recover`). So a reader sees the old or the new state,
never both nor neither; re-running is safe at any time (nothing left to move: no commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from loglake.config import parse_duration, test_stop_after
from loglake.errors import ConfigError, StoreError
from loglake.ingest.writer import file_digest
from loglake.layout import ARCHIVE_PENDING, PARTITION_FILE, cold_raw_relpath, staging_dir
from loglake.schema import PARTITION_COLUMN, Stream, arrow_schema, schema_id
from loglake.store.coldraw import write_segment
from loglake.store.commit import publish_manifest
from loglake.store.evolution import read_conformed
from loglake.store.fs import LakeFS, json_bytes
from loglake.store.listeners import Commit, Listener, notify
from loglake.store.lock import dataset_change
from loglake.store.manifest import (
    Location,
    Manifest,
    Tier,
    cold_root_of,
    file_map_of,
    load_manifest,
    now_iso,
    recompute_totals,
)
from loglake.store.pending import drop_pending
from loglake.store.raw import open_hot_source

ROW_GROUP_ROWS = 100_000


def _ignore(_message: str) -> None:
    return None


def _step(number: int) -> None:
    """Test-only: stop dead (SIGKILL, no cleanup) after step `number` when asked to."""
    if test_stop_after() == number:
        os.kill(os.getpid(), signal.SIGKILL)


def cut_date(older_than: str, today: dt.date | None = None) -> str:
    """The first date kept hot: partitions dated before it are older than `older_than`."""
    seconds = parse_duration(older_than)
    now = dt.datetime.now(dt.UTC)
    if today is not None:
        now = dt.datetime.combine(today, dt.time(), dt.UTC)
    return (now - dt.timedelta(seconds=seconds)).date().isoformat()


def normalized_root(cold_root: str) -> str:
    """A cold root as recorded: URLs as given (no trailing /), local paths made absolute."""
    cold_root = cold_root.strip().rstrip("/")
    if not cold_root:
        raise ConfigError("no cold root: pass --to s3://bucket/prefix or set LOGLAKE_COLD_ROOT")
    if "://" in cold_root:
        return cold_root
    return str(Path(cold_root).expanduser().resolve())


def archive(
    root: Path,
    cold_root: str,
    older_than: str,
    dry_run: bool = False,
    chunk_rows: int = ROW_GROUP_ROWS,
    today: dt.date | None = None,
    warn: Callable[[str], None] = _ignore,
    listeners: Sequence[Listener] = (),
) -> dict[str, Any]:
    """Move hot partitions older than `older_than` to `cold_root` (empty: the cold root the
    dataset already records); returns what was done."""
    cut = cut_date(older_than, today)
    with dataset_change(root, f"archive-{os.getpid()}", warn=warn):
        recorded = cold_root_of(load_manifest(root))
        target = normalized_root(cold_root or recorded or "")
        if "://" not in target and Path(target).is_relative_to(Path(root).resolve()):
            raise ConfigError(f"the cold root {target} must not be inside the dataset root")
        if recorded is not None and recorded != target:
            raise ConfigError(
                f"this dataset's cold tier is {recorded}; archive there (not to {target})"
            )
        for item in drop_pending(root):
            warn(f"removed an upload of an interrupted archive: {item}")
        result, manifest = _archive(root, target, cut, dry_run, chunk_rows, warn)
        if manifest is not None:
            notify(listeners, Commit(Manifest(root, manifest)), warn)
        return result


def _partitions(manifest: Manifest, cut: str) -> dict[tuple[Stream, str], list[Location]]:
    found: dict[tuple[Stream, str], list[Location]] = defaultdict(list)
    for stream in Stream:
        for loc in manifest.locations(stream, Tier.HOT):
            if loc.date < cut:
                found[stream, loc.date].append(loc)
    return dict(sorted(found.items()))


def _archive(
    root: Path, target: str, cut: str, dry_run: bool, chunk_rows: int,
    warn: Callable[[str], None],
) -> tuple[dict[str, Any], dict[str, Any] | None]:  # fmt: skip
    manifest = load_manifest(root)
    partitions = _partitions(Manifest(root, manifest), cut)
    result: dict[str, Any] = {
        "cold_root": target,
        "before": cut,
        "partitions": [f"{s}/{PARTITION_COLUMN}={d}" for s, d in partitions],
        "files": sum(len(locs) for locs in partitions.values()),
        "rows": sum(loc.rows for locs in partitions.values() for loc in locs),
        "bytes_hot": sum(loc.bytes for locs in partitions.values() for loc in locs),
        "dry_run": dry_run,
    }
    if dry_run or not partitions:
        return {**result, "bytes_cold": 0, "raw_bytes": 0, "raw_missing": []}, None
    archive_id = "archive-" + uuid.uuid4().hex[:8]
    staging = staging_dir(root, archive_id)
    staged: dict[str, dict[str, Any]] = {}  # relpath under the cold root -> expected facts
    ends: dict[str, int] = {}  # file_id -> end of its last archived row
    for (stream, date), olds in partitions.items():
        relpath = PARTITION_FILE.format(
            stream=stream.value, column=PARTITION_COLUMN, date=date, part=archive_id
        )
        local = staging / relpath
        local.parent.mkdir(parents=True, exist_ok=True)
        rows = 0
        with pq.ParquetWriter(local, arrow_schema(stream), compression="zstd") as writer:
            for old in olds:
                table = read_conformed(old.path, stream)
                writer.write_table(table, row_group_size=chunk_rows)
                rows += table.num_rows
                _note_ends(table, ends)
        staged[relpath] = {
            "stream": stream.value,
            "date": date,
            "rows": rows,
            "bytes": local.stat().st_size,
            "sha256": file_digest(local),
            "schema": schema_id(stream),
            "ingest_id": archive_id,
            "tier": Tier.COLD.value,
        }
    segments, missing = _stage_raw(root, manifest, ends, staging, archive_id, warn)
    _step(1)
    hot = LakeFS(root)
    uploads = [*staged, *(seg["path"] for seg in segments.values())]
    hot.replace(ARCHIVE_PENDING, json_bytes({"root": target, "objects": uploads}))
    _step(2)
    cold = LakeFS(target)
    for rel in uploads:
        cold.publish(staging / rel, rel)
        _step(3)
    _verify(cold, staged, segments)
    _step(4)
    doomed = [loc.key for locs in partitions.values() for loc in locs]
    for rel in doomed:
        del manifest["artifacts"][rel]
    manifest["artifacts"].update(staged)
    for file_id, seg in segments.items():
        entry = manifest["files"][file_id]
        before = entry.get("cold") or {"end": 0, "segments": []}
        entry["cold"] = {"end": seg["end"], "segments": [*before["segments"], seg]}
    manifest.setdefault("tiers", {})[Tier.COLD.value] = {"root": target}
    recompute_totals(manifest)
    manifest["dataset_version"] += 1
    result = {
        **result,
        "archive_id": archive_id,
        "bytes_cold": sum(a["bytes"] for a in staged.values()),
        "raw_bytes": sum(seg["bytes"] for seg in segments.values()),
        "raw_missing": missing,
    }
    manifest.setdefault("archives", []).append({"at": now_iso(), **result, "partitions": None})
    manifest["archives"] = manifest["archives"][-100:]
    publish_manifest(hot, manifest)
    _step(5)
    for rel in doomed:
        hot.remove(rel)
    for stream in {s for s, _ in partitions}:
        hot.remove_empty_folders(stream.value)
    hot.remove(ARCHIVE_PENDING)
    _remove_tree(staging)
    return result, manifest


def _note_ends(table: Any, ends: dict[str, int]) -> None:
    """Raise `ends[file_id]` to the end of the table's last line of each source."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return
    stops = pc.add(table.column("file_offset"), table.column("line_length"))
    grouped = (
        table.select(["file_id"])
        .append_column("stop", stops)
        .group_by("file_id")
        .aggregate([("stop", "max")])
    )
    for file_id, stop in zip(
        grouped.column("file_id").to_pylist(), grouped.column("stop_max").to_pylist(), strict=True
    ):
        if file_id is not None and stop is not None:
            ends[file_id] = max(ends.get(file_id, 0), int(stop))


def _stage_raw(
    root: Path, manifest: dict[str, Any], ends: dict[str, int], staging: Path, archive_id: str,
    warn: Callable[[str], None],
) -> tuple[dict[str, dict[str, Any]], list[str]]:  # fmt: skip
    """A segment of each source's bytes the archived rows need beyond what earlier archives
    copied; and the sources that could not be read (their rows keep no raw line)."""
    files = file_map_of(manifest)["files"]
    segments: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for file_id, end in sorted(ends.items()):
        entry = files.get(file_id)
        if entry is None:
            continue
        start = (manifest["files"][file_id].get("cold") or {}).get("end", 0)
        if end <= start:
            continue
        try:
            handle = open_hot_source(root, entry)
        except StoreError as exc:
            warn(f"{file_id}: raw lines not archived ({exc}); detail of its rows needs it back")
            missing.append(file_id)
            continue
        rel = cold_raw_relpath(file_id, archive_id)
        try:
            seg = write_segment(handle, start, end, staging / rel)
        finally:
            handle.close()
        if seg["end"] < end:
            warn(f"{file_id}: the source is shorter than its rows say; archived what there was")
        segments[file_id] = {"path": rel, **seg}
    return segments, missing


def _verify(
    cold: LakeFS, staged: dict[str, dict[str, Any]], segments: dict[str, dict[str, Any]]
) -> None:
    """Every uploaded object read back: its size and sha256, and a Parquet file's rows."""
    expected = {rel: (a["bytes"], a["sha256"]) for rel, a in staged.items()}
    expected.update({s["path"]: (s["bytes"], s["sha256"]) for s in segments.values()})
    for rel, (size, digest) in expected.items():
        data = cold.read(rel)
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            raise StoreError(f"{cold.path(rel)}: the cold copy differs from what was written")
    for rel, art in staged.items():
        with cold.open(rel) as f:
            rows = pq.ParquetFile(f).metadata.num_rows
        if rows != art["rows"]:
            raise StoreError(f"{cold.path(rel)}: {rows} rows in the cold copy, not {art['rows']}")


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


class ArchiveSchedule:
    """`loglake serve --archive-every`: archive on a timer in a background thread (the first
    run right away, then every `every_seconds`); a failed run is reported and retried at the
    next tick, as from cron."""

    def __init__(
        self,
        root: Path,
        cold_root: str,
        older_than: str,
        every_seconds: int,
        chunk_rows: int = ROW_GROUP_ROWS,
        report: Callable[[str], None] = _ignore,
        listeners: Sequence[Listener] = (),
    ) -> None:
        import threading

        if not cold_root and cold_root_of(load_manifest(root)) is None:
            normalized_root(cold_root)  # no cold root at all: fail at start, not at a tick
        cut_date(older_than)
        self._args = (root, cold_root, older_than)
        self._every = every_seconds
        self._chunk_rows = chunk_rows
        self._report = report
        self._listeners = listeners
        self._stop = threading.Event()
        self.runs = 0
        self._thread = threading.Thread(target=self._loop, name="loglake-archive", daemon=True)

    def start(self) -> ArchiveSchedule:
        """Start the timer thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the run in progress, if any."""
        self._stop.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        from loglake.errors import LoglakeError

        while not self._stop.is_set():
            root, cold_root, older_than = self._args
            try:
                done = archive(
                    root, cold_root, older_than, chunk_rows=self._chunk_rows,
                    warn=self._report, listeners=self._listeners,
                )  # fmt: skip
                self._report(
                    f"archive: {done['rows']:,} rows in {len(done['partitions'])} partitions "
                    f"dated before {done['before']} moved to {done['cold_root']}"
                )
            except LoglakeError as exc:
                self._report(f"archive failed (retried in {self._every}s): {exc}")
            self.runs += 1
            self._stop.wait(self._every)
