"""The Polars fallback's detail: the row stored for a line, found by its offsets.

The other questions it answers are registered with their Polars implementation in
`questions.py` (`polars_slow.py`, `polars_streams.py`); the answers equal the DuckDB
engine's (tests/test_polars_parity.py). This module never imports duckdb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from loglake.analytics.detail import LOOKUP_ORDER, answer
from loglake.analytics.polars_lake import Snapshot, records
from loglake.schema import Stream

if TYPE_CHECKING:
    from loglake.analytics.session import PolarsSession


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


def detail(session: PolarsSession, params: dict[str, Any]) -> dict[str, Any]:
    """`raw` (the original line), `pretty`, the `stream` and `record` stored for it."""
    file_id, offset = params["file_id"], params["file_offset"]
    return answer(session.reader, file_id, offset, find_record(session.snapshot(), file_id, offset))
