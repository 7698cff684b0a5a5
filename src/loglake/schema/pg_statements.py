"""The `pg_statements` stream: pg_stat_statements, one row per statement per snapshot.

Written by `loglake pg collect` (advisor/pg_collect.py), never by a log format: the
statement's counters when the snapshot was taken, its pglast fingerprint (the `shape_hash`
of the log's `slow_queries` rows of the same statement), and for the top statements the
plan EXPLAIN gave and the facts read from it.
"""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_statements",
    doc="pg_stat_statements of a live PostgreSQL server, one row per statement per snapshot.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("query_id", "str", "pg_stat_statements' queryid"),
        Column("fingerprint", "str", "pglast fingerprint (= slow_queries.shape_hash)"),
        Column("query", "str", "the normalized text ($1 placeholders), 4096 chars"),
        Column("op", "str", "SELECT, INSERT, UPDATE, DELETE, MERGE"),
        Column("tables", "str", "every table the statement names, sorted, comma-separated"),
        Column("calls", "i64", "executions since the statistics were reset"),
        Column("total_ms", "f64", "total execution time in ms"),
        Column("mean_ms", "f64", "mean execution time in ms"),
        Column("stddev_ms", "f64", "standard deviation of the execution time in ms"),
        Column("rows", "i64", "rows returned or affected, in all"),
        Column("shared_blks_hit", "i64", "shared buffer hits"),
        Column("shared_blks_read", "i64", "shared blocks read"),
        Column("temp_blks_read", "i64", "temporary blocks read"),
        Column("temp_blks_written", "i64", "temporary blocks written"),
        Column("columns", "str", "JSON: table -> {eq, range, join, sort: [columns]} (pglast)"),
        Column("family", "str", "family label: tables, verb, predicate shape (orders_join_2col)"),
        Column("explained", "bool", "EXPLAIN ran for it (one of the top K)"),
        Column("params_source", "str", "values EXPLAIN used: log, pg_stats, generic (none: no $n)"),
        Column("params", "str", "JSON array of the values EXPLAIN used (text; null = NULL)"),
        Column("explain_sql", "str", "the text EXPLAIN was given (the log's example or query)"),
        Column("plan", "str", "EXPLAIN (FORMAT JSON) of the statement"),
        Column("plan_cost", "f64", "the plan's total cost"),
        Column("plan_facts", "str", "JSON: seq scans, joins, est/actual rows, spills, workers"),
        Column("had_seq_scan", "bool", "the plan reads a table with a Seq Scan"),
        Column("contention", "str", "a blocking statement seen while it waited on a lock"),
        Column("log_examples", "i64", "slow_queries rows of its fingerprint or queryid"),
    ),
)
