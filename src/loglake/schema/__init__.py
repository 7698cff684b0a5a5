"""The streams of the lake, declared once: one module per stream, registered here.

Parsers emit plain dicts keyed by these column names; `ts` is an int of microseconds since
the Unix epoch (UTC) and becomes TIMESTAMP WITH TIME ZONE in Parquet. Every row carries the
offset columns so the original record can be read back. Adding a stream is one module with
its `SPEC` plus its member below (see docs/architecture.md, "Add a stream").
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from loglake.schema import (
    authentications,
    connections,
    events,
    interactions,
    pg_column_stats,
    pg_indexes,
    pg_recommendations,
    pg_simulations,
    pg_statements,
    pg_tables,
    slow_queries,
)
from loglake.schema.base import SQL_TYPES, Backfill, Column, StreamSpec

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "COLUMNS",
    "LOG_STREAMS",
    "PARTITION_COLUMN",
    "SQL_TYPES",
    "STREAMS",
    "Backfill",
    "Column",
    "Stream",
    "StreamSpec",
    "arrow_schema",
    "column_names",
    "schema_id",
]


class Stream(StrEnum):
    """The streams of the log lake (one Parquet dataset each)."""

    SLOW_QUERIES = "slow_queries"
    AUTHENTICATIONS = "authentications"
    CONNECTIONS = "connections"
    EVENTS = "events"
    INTERACTIONS = "interactions"  # derived from events after each commit
    # snapshots of a live PostgreSQL server (`loglake pg collect`), not from logs
    PG_STATEMENTS = "pg_statements"
    PG_TABLES = "pg_tables"
    PG_INDEXES = "pg_indexes"
    PG_COLUMN_STATS = "pg_column_stats"
    PG_RECOMMENDATIONS = "pg_recommendations"
    PG_SIMULATIONS = "pg_simulations"  # `loglake pg simulate`, one row per run


STREAMS: dict[Stream, StreamSpec] = {
    Stream(spec.name): spec
    for spec in (
        slow_queries.SPEC,
        authentications.SPEC,
        connections.SPEC,
        events.SPEC,
        interactions.SPEC,
        pg_statements.SPEC,
        pg_tables.SPEC,
        pg_indexes.SPEC,
        pg_column_stats.SPEC,
        pg_recommendations.SPEC,
        pg_simulations.SPEC,
    )
}
LOG_STREAMS = tuple(s for s, spec in STREAMS.items() if spec.from_logs)
COLUMNS: dict[Stream, tuple[Column, ...]] = {s: spec.columns for s, spec in STREAMS.items()}
PARTITION_COLUMN = "date"


def column_names(stream: Stream) -> tuple[str, ...]:
    """The column names of a stream, in order."""
    return tuple(c.name for c in COLUMNS[stream])


@cache
def schema_id(stream: Stream) -> str:
    """A short fingerprint of a stream's columns and types, recorded with every file written."""
    text = ",".join(f"{c.name}:{c.kind}" for c in COLUMNS[stream])
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@cache
def arrow_schema(stream: Stream) -> pa.Schema:
    """The Arrow schema of a stream (without the hive partition column)."""
    import pyarrow as pa

    types = {
        "ts": pa.timestamp("us", tz="UTC"),
        "str": pa.string(),
        "i64": pa.int64(),
        "i32": pa.int32(),
        "f64": pa.float64(),
        "bool": pa.bool_(),
    }
    return pa.schema([pa.field(c.name, types[c.kind]) for c in COLUMNS[stream]])
