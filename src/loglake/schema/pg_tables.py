"""The `pg_tables` stream: a live server's tables (pg_class + pg_stat_user_tables) per snapshot."""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_tables",
    doc="Tables of a live PostgreSQL server, one row per table per snapshot.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("table_name", "str", "schema.table"),
        Column("rows_estimate", "i64", "pg_class.reltuples"),
        Column("size_bytes", "i64", "pg_total_relation_size"),
        Column("seq_scan", "i64", "sequential scans started"),
        Column("seq_tup_read", "i64", "rows read by sequential scans"),
        Column("idx_scan", "i64", "index scans started"),
        Column("n_tup_ins", "i64", "rows inserted"),
        Column("n_tup_upd", "i64", "rows updated"),
        Column("n_tup_del", "i64", "rows deleted"),
        Column("n_live_tup", "i64", "live rows (estimate)"),
        Column("n_mod_since_analyze", "i64", "rows changed since the last ANALYZE"),
        Column("last_analyzed", "ts", "the last ANALYZE or autoanalyze (null: never)"),
        Column("columns", "str", "the table's columns, in order, comma-separated"),
    ),
)
