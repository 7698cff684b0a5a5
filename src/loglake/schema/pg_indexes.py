"""The `pg_indexes` stream: a live server's indexes (pg_index + pg_stat_user_indexes)."""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_indexes",
    doc="Indexes of a live PostgreSQL server, one row per index per snapshot.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("index_name", "str", "schema.index"),
        Column("table_name", "str", "schema.table"),
        Column("columns", "str", "key columns in order, comma-separated (an expression: ?)"),
        Column("is_unique", "bool", "a unique index"),
        Column("is_primary", "bool", "the primary key"),
        Column("is_partial", "bool", "a partial index (WHERE …)"),
        Column("idx_scan", "i64", "scans since the statistics were reset"),
        Column("size_bytes", "i64", "size on disk"),
        Column("definition", "str", "pg_get_indexdef"),
    ),
)
