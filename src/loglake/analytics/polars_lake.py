"""The Polars fallback engine's dataset: lazy scans of the manifest's files, and the filters.

It answers the same questions as the DuckDB `Lake` when DuckDB is disabled or missing, with
the same semantics: a stream is exactly the Parquet files the manifest lists (never a glob),
and every filter of `filters.where` is applied the same way. SQL's aggregate rules that
Polars does not share are spelled out once here (`count_if`, `epoch_ms`, `bucket_us`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from loglake.analytics.buckets import BUCKET_US, MAX_BUCKETS
from loglake.analytics.filters import (
    _COMPARE,
    _TEXT_COLUMNS,
    applicable,
    engine_of,
    field_columns,
)
from loglake.analytics.sql import jsonable
from loglake.config import lake_root, polars_storage_options
from loglake.formats.levels import LEVELS
from loglake.schema import COLUMNS, Stream, arrow_schema, column_names
from loglake.store.evolution import runs
from loglake.store.fs import Stamp, local_path, open_location
from loglake.store.manifest import Manifest, manifest_stamp

# The filter table of both engines (filters.py); the Polars `where` reads it through these
# names, so the parity tests can break the Polars side alone
COMPARE = _COMPARE
TEXT_COLUMNS = _TEXT_COLUMNS


@cache
def polars_schema(stream: Stream) -> pl.Schema:
    """The Polars schema of a stream (from `schema.arrow_schema`)."""
    return pl.DataFrame(arrow_schema(stream).empty_table()).schema


# comparison -> its Polars expression (filters.COMPARISONS: the same, in SQL)
COMPARISONS: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = {
    "eq": lambda col, value: col == value,
    "ge": lambda col, value: col >= value,
    "lt": lambda col, value: col < value,
    "le": lambda col, value: col <= value,
    "trim_eq": lambda col, value: col.str.strip_chars(" ") == value,  # SQL trim(): spaces only
    "level": lambda col, value: (
        (col == value.upper()) | (pl.col("severity").str.strip_chars(" ") == value)
    ),
    "at_least": lambda col, value: col.is_in(LEVELS[LEVELS.index(value.upper()) :]),
    "has_tag": lambda col, value: (
        col.str.json_path_match("$.tags").str.json_decode(pl.List(pl.String)).list.contains(value)
    ),
    "has_topic": lambda col, value: col.str.json_decode(pl.List(pl.String)).list.contains(value),
    # the value is the file ids of the engine (`Snapshot.engines`), as SQL's `lake_files`
    "file_engine": lambda col, value: col.is_in(value),
}


def where(
    stream: Stream,
    params: Mapping[str, Any],
    extra: pl.Expr | None = None,
    engines: Mapping[str, str | None] | None = None,
) -> pl.Expr | None:
    """The predicate `filters.where` builds for a stream, as one Polars expression (or None).

    `engines` (file_id -> engine) answers the `engine` filter of streams without the column.
    """
    columns = set(column_names(stream))
    clauses = [] if extra is None else [extra]
    for name, column, how in applicable(stream, COMPARE):
        value = params.get(name)
        if value is not None and how == "file_engine":
            value = [f for f, engine in (engines or {}).items() if engine == value]
        if value is not None:
            clauses.append(COMPARISONS[how](pl.col(column), value))
    text = params.get("q")
    if text and stream == Stream.SLOW_QUERIES:
        needle = text.lower()
        clauses.append(
            pl.any_horizontal(
                pl.col(c).str.to_lowercase().str.contains(needle, literal=True)
                for c in TEXT_COLUMNS
            )
        )
    if params.get("hide_system") and "is_system" in columns:
        clauses.append(~pl.col("is_system").fill_null(False))
    keyword = params.get("keyword")
    if keyword and "message" in columns:
        message = pl.col("message")
        clauses.append(
            message.str.contains(keyword)
            if params.get("regex")
            else message.str.to_lowercase().str.contains(keyword.lower(), literal=True)
        )
    for name, value in params.get("field") or ():
        if "attrs" not in columns:
            continue
        found = pl.col("attrs").str.json_path_match("$." + name)
        mapped = field_columns().get(name)
        if mapped is not None:
            found = pl.coalesce(found, pl.col(mapped).cast(pl.String))
        clauses.append(found == value)
    return pl.all_horizontal(clauses) if clauses else None


def _in_days(day: date, params: Mapping[str, Any]) -> bool:
    """The partition clauses of `filters.where`: date >= from's date, date <= to's date."""
    start, end = params.get("from"), params.get("to")
    return (start is None or day >= start.date()) and (end is None or day <= end.date())


@dataclass(frozen=True)
class Snapshot:
    """One dataset version: the committed files of every stream, with their partition date."""

    version: str | None
    files: Mapping[Stream, tuple[tuple[str, date, str | None], ...]]  # path, day, schema key
    engines: Mapping[str, str | None] = field(default_factory=dict)  # file_id -> its engine

    def frame(
        self, stream: Stream, params: Mapping[str, Any] | None = None, extra: pl.Expr | None = None
    ) -> pl.LazyFrame:
        """The rows of a stream the filters in `params` (and `extra`) select, in file order."""
        params = params or {}
        chosen = [(p, schema) for p, day, schema in self.files[stream] if _in_days(day, params)]
        file_runs = runs(stream, chosen, _polars_columns)
        scans = [_scan(stream, present, paths) for present, paths in file_runs]
        if not scans:
            frame = pl.LazyFrame(schema=polars_schema(stream))
        else:
            frame = scans[0] if len(scans) == 1 else pl.concat(scans, how="vertical")
        predicate = where(stream, params, extra, self.engines)
        return frame if predicate is None else frame.filter(predicate)


def _polars_columns(path: str) -> frozenset[str]:
    """A Parquet file's columns from its footer, read by Polars (no pyarrow import); a cold
    file on object storage through the filesystem seam."""
    if local_path(path) is None:
        with open_location(path) as f:
            return frozenset(pl.read_parquet_schema(f))
    return frozenset(pl.read_parquet_schema(path))


def _by_store(paths: list[str]) -> list[tuple[list[str], dict[str, str] | None]]:
    """Consecutive paths read with the same storage options (hot local files, cold URLs)."""
    groups: list[tuple[list[str], dict[str, str] | None]] = []
    for path in paths:
        options = polars_storage_options(path)
        if groups and groups[-1][1] == options:
            groups[-1][0].append(path)
        else:
            groups.append(([path], options))
    return groups


def _scan(stream: Stream, present: frozenset[str], paths: list[str]) -> pl.LazyFrame:
    """One run of files with the same columns, projected onto the current columns: what a
    file lacks is its column's backfill (as in `engine.view_sql`) or null. Cold files on
    object storage are read by Polars itself, with the endpoint fsspec uses."""
    scans = [
        pl.scan_parquet(
            group,
            schema=polars_schema(stream),
            hive_partitioning=False,
            missing_columns="insert",  # a file written before a column was added
            extra_columns="ignore",
            storage_options=options,
        )
        for group, options in _by_store(paths)
    ]
    frame = scans[0] if len(scans) == 1 else pl.concat(scans, how="vertical")
    fills = [
        pl.col(c.backfill.source).is_in(c.backfill.values).fill_null(False).alias(c.name)
        for c in COLUMNS[stream]
        if c.name not in present and c.backfill is not None and c.backfill.source in present
    ]
    return frame.with_columns(fills) if fills else frame


def stream_files(manifest: Manifest) -> dict[Stream, tuple[tuple[str, date, str | None], ...]]:
    """Every stream's committed Parquet files with their partition dates and schema ids."""
    return {
        s: tuple(
            (loc.path, date.fromisoformat(loc.date), loc.schema_key)
            for loc in manifest.locations(s)
        )
        for s in Stream
    }


class PolarsLake:
    """A dataset opened for questions with Polars: the manifest's file lists, kept current."""

    def __init__(self, root: Path) -> None:
        self.root = lake_root(root)
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._snapshot = Snapshot(None, dict.fromkeys(Stream, ()))
        self.refresh()

    @property
    def version(self) -> str | None:
        """The dataset version of the file lists in use."""
        return self._snapshot.version

    def refresh(self) -> str | None:
        """Re-read the manifest if it changed since last time; the dataset version."""
        stamp = manifest_stamp(self.root)
        if stamp == self._stamp:
            return self.version
        with self._lock:
            if stamp != self._stamp:
                manifest = Manifest.load(self.root)
                version = str(manifest.version)  # as engine.Lake
                engines = {
                    file_id: engine_of(entry.get("format"))
                    for file_id, entry in manifest.data.get("files", {}).items()
                }
                self._snapshot = Snapshot(version, stream_files(manifest), engines)
                self._stamp = stamp
        return self.version

    def snapshot(self) -> Snapshot:
        """The file lists of the current version (one question reads one snapshot)."""
        return self._snapshot


# SQL aggregates Polars spells differently ------------------------------------------------
def count_if(condition: pl.Expr) -> pl.Expr:
    """SQL `coalesce(count_if(condition), 0)`: how many rows the condition is true for."""
    return condition.cast(pl.Int64).sum()


def distinct(column: str) -> pl.Expr:
    """SQL count(DISTINCT column): NULL is not a value."""
    return pl.col(column).drop_nulls().n_unique()


def quantile(column: str | pl.Expr, q: float) -> pl.Expr:
    """SQL quantile_cont: linear interpolation between the two nearest ranks."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.quantile(q, interpolation="linear")


def epoch_us() -> pl.Expr:
    """Microseconds since the epoch of `ts` (SQL epoch_us)."""
    return pl.col("ts").dt.epoch("us")


def epoch_ms(column: str) -> pl.Expr:
    """SQL epoch_ms of a TIMESTAMPTZ: milliseconds, rounded half away from zero."""
    us = pl.col(column).dt.epoch("us")
    return pl.when(us >= 0).then((us + 500) // 1000).otherwise(-((500 - us) // 1000))


def divide(expr: pl.Expr, divisor: float) -> pl.Expr:
    """`expr / divisor` rounded once, as SQL divides (Polars multiplies by the reciprocal)."""

    def exact(values: pl.Series) -> pl.Series:
        # the input is integral (epoch milliseconds): NaN can only come from NULL
        quotient = values.cast(pl.Float64).to_numpy() / divisor
        return pl.Series(values.name, quotient, dtype=pl.Float64).fill_nan(None)

    return expr.map_batches(exact, return_dtype=pl.Float64, is_elementwise=True)


def bucket_us(width: int) -> pl.Expr:
    """SQL `(epoch_us(ts) // width) * width` (integer division truncates toward zero)."""
    us = epoch_us()
    return (pl.when(us >= 0).then(us // width).otherwise(-(-us // width)) * width).alias(
        "bucket_us"
    )


def bucket_width(frame: pl.LazyFrame, bucket: str) -> int:
    """The bucket width in microseconds for a series over a filtered frame (`buckets`)."""
    if bucket != "auto":
        return BUCKET_US[bucket]
    first, last = frame.select(epoch_us().min(), epoch_us().max().alias("last")).collect().row(0)
    length = (last - first) if first is not None and last is not None else 0
    for width in BUCKET_US.values():
        if length // width < MAX_BUCKETS:
            return width
    return BUCKET_US["1d"]


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, like `sql.fetch` (timestamps as ISO strings, NaN as None)."""
    return [{k: jsonable(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def record(frame: pl.DataFrame) -> dict[str, Any]:
    """The single row of an aggregate, like `sql.fetch_one`."""
    rows = records(frame)
    return rows[0] if rows else {}


def sort_limit(
    frame: pl.LazyFrame, by: list[str], descending: list[bool], limit: int, offset: int = 0
) -> pl.DataFrame:
    """ORDER BY the columns (NULLS LAST, DuckDB's default) LIMIT/OFFSET, collected."""
    return frame.sort(by, descending=descending, nulls_last=True).slice(offset, limit).collect()
