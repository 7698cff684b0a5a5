"""The Polars fallback engine: the questions it answers when DuckDB is disabled or missing.

`Analytics` (service.py) opens a `PolarsLake` and calls `QUESTIONS[name](lake, reader,
params)` with validated parameters; the answers equal the DuckDB engine's (tests/
test_polars_parity.py). Questions missing from QUESTIONS (trend, workload, heatmap,
search) are reported as degraded. This module never imports duckdb.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from loglake.analytics.detail import pretty
from loglake.analytics.polars_lake import PolarsLake, Snapshot, records
from loglake.analytics.polars_slow import patterns, slow_queries, summary
from loglake.analytics.polars_streams import auth_logs, auth_summary, connections
from loglake.errors import InputError, NotFoundError
from loglake.schema import Stream
from loglake.store.raw import RawReader

__all__ = ["QUESTIONS", "PolarsLake", "detail"]

Question = Callable[[PolarsLake, RawReader, dict[str, Any]], dict[str, Any]]

# the stream that holds the richest record of a line comes first (as in detail.py)
LOOKUP_ORDER = (
    Stream.SLOW_QUERIES,
    Stream.AUTHENTICATIONS,
    Stream.CONNECTIONS,
    Stream.EVENTS,
)


def find_record(
    snap: Snapshot, file_id: str, file_offset: int
) -> tuple[Stream, dict[str, Any]] | None:
    """The stream and row stored for the line at (file_id, file_offset), if any."""
    at = (pl.col("file_id") == file_id) & (pl.col("file_offset") == file_offset)
    for stream in LOOKUP_ORDER:
        rows = records(snap.frame(stream).filter(at).head(1).collect())
        if rows:
            return stream, rows[0]
    return None


def detail(lake: PolarsLake, reader: RawReader, params: dict[str, Any]) -> dict[str, Any]:
    """`raw` (the original line), `pretty`, the `stream` and `record` stored for it."""
    file_id, offset = params.get("file_id"), params.get("file_offset")
    if not file_id or offset is None:
        raise InputError("file_id and file_offset are required")
    found = find_record(lake.snapshot(), file_id, offset)
    if found is None:
        raise NotFoundError(f"no logged line at file_id={file_id!r} file_offset={offset}")
    stream, row = found
    raw = reader.read_line(file_id, offset, row["line_length"]).decode("utf-8", "replace")
    return {
        "file_id": file_id,
        "file_offset": offset,
        "stream": stream.value,
        "raw": raw,
        "pretty": pretty(raw),
        "record": row,
    }


def _on_snapshot(fn: Callable[[Snapshot, dict[str, Any]], dict[str, Any]]) -> Question:
    """A question of one snapshot as the facade calls it (the raw reader is not needed)."""

    def ask(lake: PolarsLake, reader: RawReader, params: dict[str, Any]) -> dict[str, Any]:
        return fn(lake.snapshot(), params)

    ask.__doc__ = fn.__doc__
    return ask


QUESTIONS: dict[str, Question] = {
    "summary": _on_snapshot(summary),
    "patterns": _on_snapshot(patterns),
    "slow_queries": _on_snapshot(slow_queries),
    "detail": detail,
    "auth_summary": _on_snapshot(auth_summary),
    "auth_logs": _on_snapshot(auth_logs),
    "connections": _on_snapshot(connections),
}
