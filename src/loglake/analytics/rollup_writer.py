"""Writing the slow-query rollups (`rollups.py`) after each commit, and rebuilding them.

After a commit (an after-commit listener, so ingest, `--follow` rounds, uploads, compaction
and retention all run it) the parts whose files are all still committed are kept, and one
new part is computed over the committed slow_queries files no part covers: an append adds
one small part, a compaction or retention recomputes what it changed. The part's Parquet
files are published first, then `rollups/index.json` is replaced, the one step readers
see. Parts the new and the previous index do not list are deleted (a question that opened
the previous version may still be reading those). `loglake rebuild-summaries` recomputes
every part from the Parquet files alone (`rebuild`).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from loglake.analytics.engine import view_sql
from loglake.analytics.rollups import ROLLUPS, read_index, rollup_schema, usable_parts
from loglake.config import Settings
from loglake.errors import StoreError
from loglake.layout import ROLLUP_INDEX
from loglake.layout import ROLLUPS as ROLLUP_DIR
from loglake.schema import Stream
from loglake.store.evolution import runs
from loglake.store.fs import LakeFS, json_bytes, register_filesystems
from loglake.store.listeners import Commit
from loglake.store.manifest import Location, Manifest, now_iso

_SLOW = Stream.SLOW_QUERIES
MAX_PARTS = 16  # then the smallest parts are rolled up again with the new files, as one


def update_rollups(
    manifest: Manifest, rebuild: bool = False, max_parts: int = MAX_PARTS
) -> dict[str, Any]:
    """Make the rollups cover the committed slow_queries files; the index written.

    Parts stay at most `max_parts`: `--follow` adds one per round."""
    locations = manifest.locations(_SLOW)
    keys = {loc.key for loc in locations}
    previous = read_index(manifest.root)
    if not rebuild and usable_parts(previous, locations) is not None:
        return previous  # already exactly these files (e.g. a commit of other streams only)
    kept: list[dict[str, Any]] = []
    covered: set[str] = set()
    if not rebuild:
        for part in previous["parts"]:
            mine = set(part.get("covers", []))
            if part.get("schema") == rollup_schema() and mine <= keys and not mine & covered:
                kept.append(part)
                covered |= mine
    if len(covered) < len(keys) and len(kept) >= max_parts:
        kept.sort(key=lambda part: part.get("source_rows", 0))
        for part in kept[: len(kept) - max_parts + 1]:  # recomputed with the new files
            covered -= set(part["covers"])
        kept = kept[len(kept) - max_parts + 1 :]
    todo = [loc for loc in locations if loc.key not in covered]
    parts = kept + ([_write_part(manifest, todo)] if todo else [])
    index = {"dataset_version": manifest.version, "computed": now_iso(), "parts": parts}
    lake = LakeFS(manifest.root)
    lake.replace(ROLLUP_INDEX, json_bytes(index))
    _remove_unlisted(lake, index, previous)
    return index


def rebuild(manifest: Manifest) -> dict[str, Any]:
    """Recompute every rollup from the committed Parquet files alone."""
    return update_rollups(manifest, rebuild=True)


def _write_part(manifest: Manifest, todo: list[Location]) -> dict[str, Any]:
    """Compute the rollups of some slow_queries files and publish them as one part."""
    import duckdb

    part_id = f"{manifest.version:012d}-{uuid.uuid4().hex[:8]}"
    staging = Path(tempfile.mkdtemp(prefix="loglake-rollup-"))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")  # an after-commit step prints nothing
        # rollups are only ever added up: no row order to keep (a sort tripled the build time)
        con.execute("SET preserve_insertion_order = false")

        def read_columns(path: str) -> frozenset[str]:
            found = con.execute(
                "SELECT * FROM read_parquet(?, hive_partitioning = false) LIMIT 0", [path]
            )
            return frozenset(d[0] for d in found.description)

        pairs = [(loc.path, loc.schema_key) for loc in todo]
        register_filesystems(con, [path for path, _ in pairs])  # cold files on object storage
        con.execute(
            f"CREATE VIEW slow_queries AS {view_sql(_SLOW, runs(_SLOW, pairs, read_columns))}"
        )
        files, rows = {}, {}
        for rollup in ROLLUPS:
            local = staging / f"{rollup.name}.parquet"
            con.execute(
                f"COPY ({rollup.build_sql()}) TO '{local}' (FORMAT parquet, COMPRESSION zstd)"
            )
            # a later rollup may be computed from this one (daily_durations from durations)
            con.register(rollup.name, con.read_parquet(str(local)))
            found = con.execute("SELECT count(*) FROM read_parquet(?)", [str(local)]).fetchone()
            rows[rollup.name] = int(found[0]) if found else 0
            files[rollup.name] = f"{ROLLUP_DIR}/{part_id}/{rollup.name}.parquet"
        lake = LakeFS(manifest.root)
        for rollup in ROLLUPS:
            lake.publish(staging / f"{rollup.name}.parquet", files[rollup.name])
    except duckdb.Error as exc:
        raise StoreError(
            f"could not write the rollups of version {manifest.version}: {exc}"
        ) from exc
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "id": part_id,
        "schema": rollup_schema(),
        "covers": sorted(loc.key for loc in todo),
        "source_rows": sum(loc.rows for loc in todo),
        "rows": rows,
        "files": files,
    }


def _remove_unlisted(lake: LakeFS, index: dict[str, Any], previous: dict[str, Any]) -> None:
    """Delete the part files neither index lists."""
    listed = {
        path for part in (*index["parts"], *previous["parts"]) for path in part["files"].values()
    }
    for rel in lake.files(ROLLUP_DIR):
        if rel != ROLLUP_INDEX and rel not in listed:
            lake.remove(rel)
    lake.remove_empty_folders(ROLLUP_DIR)


class WriteRollups:
    """After-commit listener: the rollups of the version just committed (when enabled)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, commit: Commit) -> None:
        """Add a part for the files the rollups do not cover yet (see `update_rollups`)."""
        if self.settings.rollups:
            update_rollups(commit.manifest)
