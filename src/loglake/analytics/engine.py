"""One DuckDB connection per process, views over the streams kept in step with the manifest.

The views read exactly the Parquet files the manifest lists (never a glob: orphans of a
killed ingest are not part of the dataset), as `Manifest.locations` gives them for both
tiers: the cold tier's files on object storage are read through fsspec
(`register_filesystems`), so no query knows which tier a row is in. Each thread
gets its own cursor; a question runs inside one transaction, so all of its statements see
the same dataset version even while an ingest commits beside the server (DuckDB's catalog
is versioned like its data).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loglake.analytics import rollups, sql
from loglake.analytics.filters import engine_of
from loglake.config import Settings, lake_root
from loglake.layout import ROLLUP_INDEX
from loglake.schema import COLUMNS, PARTITION_COLUMN, SQL_TYPES, Column, Stream
from loglake.store.evolution import Run, runs
from loglake.store.fs import LakeFS, Stamp, register_filesystems
from loglake.store.manifest import Location, Manifest, load_manifest, manifest_stamp
from loglake.store.templates import COLUMNS as TEMPLATE_COLUMNS
from loglake.store.templates import templates_key

_VERSIONS_KEPT = 4  # file lists of recent versions, for snapshots that began before a commit


def stream_locations(manifest: Manifest) -> dict[Stream, list[Location]]:
    """The files every stream's views read: the manifest's locations of the stream in every
    tier (hot and cold), in partition order."""
    return {stream: manifest.locations(stream) for stream in Stream}


def newest_first(stream: Stream) -> str:
    """The view of a stream whose files are listed newest partition first."""
    return f"{stream}_newest_first"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_text(value: str | None) -> str:
    return "CAST(NULL AS VARCHAR)" if value is None else _quote(value)


def files_sql(manifest: dict[str, Any]) -> str:
    """The SELECT behind `lake_files`: every ingested file's id, format and engine."""
    rows = [
        f"({_quote(file_id)}, {_sql_text(entry.get('format'))}, "
        f"{_sql_text(engine_of(entry.get('format')))})"
        for file_id, entry in sorted(manifest.get("files", {}).items())
    ]
    if not rows:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS file_id, CAST(NULL AS VARCHAR) AS format, "
            "CAST(NULL AS VARCHAR) AS engine WHERE false"
        )
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS f(file_id, format, engine)"


def _projection(column: Column, present: frozenset[str]) -> str:
    """A column as one run of files gives it: itself, its backfill, or a typed NULL."""
    if column.name in present:
        return column.name
    fill = column.backfill
    if fill is not None and fill.source in present:
        values = ", ".join(_quote(v) for v in fill.values)
        return f"coalesce({fill.source} IN ({values}), false) AS {column.name}"
    return f"CAST(NULL AS {SQL_TYPES[column.kind]}) AS {column.name}"


def view_sql(stream: Stream, file_runs: list[Run]) -> str:
    """The SELECT behind a stream's view: every run of files projected onto the current
    columns (one scan per run, in order), or an empty relation of its columns."""
    if not file_runs:
        cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[c.kind]}) AS {c.name}" for c in COLUMNS[stream])
        return f"SELECT {cols}, CAST(NULL AS DATE) AS {PARTITION_COLUMN} WHERE false"
    scans = []
    for present, paths in file_runs:
        cols = ", ".join(_projection(c, present) for c in COLUMNS[stream])
        files = ", ".join(_quote(p) for p in paths)
        scans.append(
            f"SELECT {cols}, {PARTITION_COLUMN} "
            f"FROM read_parquet([{files}], hive_partitioning = true)"
        )
    return " UNION ALL ".join(scans)


def _rollup_views(root: Path, parts: list[dict[str, Any]] | None) -> list[str]:
    """The statements giving the catalog its rollup views over these parts (or none)."""
    if parts is None:
        return [f"DROP VIEW IF EXISTS {r.view}" for r in rollups.ROLLUPS]
    lake = LakeFS(root)
    out = []
    for rollup in rollups.ROLLUPS:
        files = ", ".join(_quote(lake.path(p["files"][rollup.name])) for p in parts)
        out.append(
            f"CREATE OR REPLACE VIEW {rollup.view} AS "
            f"SELECT * FROM read_parquet([{files}], hive_partitioning = false)"
        )
    return out


def templates_view_sql(root: Path, manifest: dict[str, Any]) -> str:
    """The SELECT behind the `templates` view: the committed templates table, or no rows."""
    key = templates_key(manifest)
    names = ", ".join(name for name, _kind, _doc in TEMPLATE_COLUMNS)
    if key is None:
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {n}" for n, _k, _d in TEMPLATE_COLUMNS)
        return f"SELECT {cols} WHERE false"
    return f"SELECT {names} FROM read_parquet({_quote(LakeFS(root).path(key))})"


class Lake:
    """A dataset opened for questions: a DuckDB connection with one view per stream."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        import duckdb

        self.root = lake_root(root)
        self.settings = settings or Settings(root=self.root)
        config: dict[str, Any] = {}
        if self.settings.duckdb_threads:
            config["threads"] = self.settings.duckdb_threads
        if self.settings.duckdb_memory_limit:
            config["memory_limit"] = self.settings.duckdb_memory_limit
        self._con = duckdb.connect(":memory:", config=config)
        self._con.execute("SET TimeZone = 'UTC'")
        # GLOBAL: every question runs on a cursor, a session of its own.
        # Keep Parquet footers in memory, so no question reads a footer twice.
        self._con.execute("SET GLOBAL parquet_metadata_cache = true")
        # Fetch the other columns of a sorted page only for its rows (DuckDB's default stops
        # doing so above 50 rows, and a 1,000-row page then reads every row group).
        self._con.execute("SET GLOBAL late_materialization_max_rows = 10000")
        self._con.execute(sql.load("macros"))  # shared by the questions' SQL (mad_score, ...)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self.manifest: dict[str, Any] = {}
        self.version: str | None = None
        self._files: dict[str, dict[Stream, list[str]]] = {}
        self.refresh()

    def refresh(self) -> str | None:
        """Rebuild the views if the manifest changed since last time; the dataset version."""
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return self.version
        with self._lock:
            if stamp == self._stamp:
                return self.version
            manifest = load_manifest(self.root)
            located = stream_locations(Manifest(self.root, manifest))
            files = {stream: [loc.path for loc in locs] for stream, locs in located.items()}
            # the cold tier on object storage: read through fsspec, shared by every cursor
            register_filesystems(self._con, {p for paths in files.values() for p in paths})
            cur = self._con.cursor()

            def read_columns(path: str) -> frozenset[str]:
                """A file's columns from its footer, by this connection (no pyarrow import)."""
                found = cur.execute(
                    "SELECT * FROM read_parquet(?, hive_partitioning = false) LIMIT 0", [path]
                )
                return frozenset(d[0] for d in found.description)

            try:
                cur.execute("BEGIN TRANSACTION")
                for stream, locations in located.items():
                    pairs = [(loc.path, loc.schema_key) for loc in locations]
                    oldest = view_sql(stream, runs(stream, pairs, read_columns))
                    cur.execute(f"CREATE OR REPLACE VIEW {stream} AS {oldest}")
                    # The same rows, newest partitions first: a newest-first page then stops
                    # after a few row groups (DuckDB's top-N skips row groups older than the
                    # rows it already holds), where the oldest-first view reads all of them.
                    newest = view_sql(stream, runs(stream, pairs[::-1], read_columns))
                    cur.execute(f"CREATE OR REPLACE VIEW {newest_first(stream)} AS {newest}")
                parts = None
                if self.settings.rollups:
                    index = rollups.read_index(self.root)
                    parts = rollups.usable_parts(index, located[Stream.SLOW_QUERIES])
                for statement in _rollup_views(self.root, parts):
                    cur.execute(statement)

                cur.execute(
                    f"CREATE OR REPLACE VIEW templates AS {templates_view_sql(self.root, manifest)}"
                )
                # a record's source file, its format and engine (the `engine` filter of
                # streams without an engine column)
                cur.execute(f"CREATE OR REPLACE VIEW lake_files AS {files_sql(manifest)}")
                version = str(manifest.get("dataset_version", 0))
                # the version lives in the catalog beside the views, so a snapshot reads the
                # version of exactly the views it sees, and whether its rollups are there
                cur.execute(
                    f"CREATE OR REPLACE VIEW lake_version AS SELECT {_quote(str(version))} AS v, "
                    f"{parts is not None} AS rollups"
                )
                cur.execute("COMMIT")
            finally:
                cur.close()
            self.manifest = manifest
            self.version = str(manifest.get("dataset_version", 0))
            self._files[self.version] = files
            while len(self._files) > _VERSIONS_KEPT:
                del self._files[next(iter(self._files))]
            self._stamp = stamp
        return self.version

    def _current_stamp(self) -> Stamp:
        """The manifest's stamp, and the rollup index's when rollups are read."""
        stamp = manifest_stamp(self.root)
        if self.settings.rollups:
            stamp = (*stamp, *LakeFS(self.root).stamp(ROLLUP_INDEX))
        return stamp

    def cursor(self) -> Any:
        """This thread's cursor (created on first use)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
        return cur

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A cursor inside a read transaction: every statement sees one dataset version."""
        self.refresh()
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")

    def snapshot_files(self, version: str) -> dict[Stream, list[str]]:
        """The Parquet files of every stream at a dataset version seen by a snapshot."""
        with self._lock:
            files = self._files.get(version)
        if files is None:  # many ingests committed during one question: read them again
            found = stream_locations(Manifest.load(self.root))
            files = {stream: [loc.path for loc in locs] for stream, locs in found.items()}
        return files

    @staticmethod
    def snapshot_version(cur: Any) -> str:
        """The dataset version a snapshot's cursor sees."""
        return str(cur.execute("SELECT v FROM lake_version").fetchall()[0][0])

    def close(self) -> None:
        """Close the connection (cursors of other threads become unusable)."""
        self._con.close()
