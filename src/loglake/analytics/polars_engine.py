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

from loglake.analytics.detail import LOOKUP_ORDER, answer, required
from loglake.analytics.polars_lake import PolarsLake, Snapshot, records
from loglake.analytics.polars_slow import patterns, slow_queries, summary
from loglake.analytics.polars_streams import auth_logs, auth_summary, connections
from loglake.schema import Stream
from loglake.store.raw import RawReader

__all__ = ["QUESTIONS", "PolarsLake", "detail"]

Question = Callable[[PolarsLake, RawReader, dict[str, Any]], dict[str, Any]]


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
    file_id, offset = required(params)
    return answer(reader, file_id, offset, find_record(lake.snapshot(), file_id, offset))


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
