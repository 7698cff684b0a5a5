"""The `slow_queries` stream: one row per slow operation, for every database engine."""

from __future__ import annotations

from loglake.schema.base import COMMON, Backfill, Column, StreamSpec

SPEC = StreamSpec(
    name="slow_queries",
    doc="One row per slow operation, for every database engine.",
    columns=(
        *COMMON,
        Column("engine", "str", "mongodb or postgres"),
        Column("db", "str", "database"),
        Column("collection", "str", "collection (MongoDB) or table (PostgreSQL)"),
        Column("namespace", "str", "db.collection"),
        Column("op", "str", "find/aggregate/update/... or SELECT/UPDATE/..."),
        Column("op_type", "str", "the log's own type field (command, query, update, remove, ...)"),
        Column("app_name", "str", "client application name"),
        Column("client_ip", "str", "client address"),
        Column("client_port", "i32", "client port"),
        Column("user", "str", "authenticated user where known"),
        Column("connection_id", "i64", "server connection number (conn123 -> 123)"),
        Column("duration_ms", "f64", "operation duration in milliseconds"),
        Column("docs_examined", "i64", "documents (rows) examined"),
        Column("keys_examined", "i64", "index keys examined"),
        Column("nreturned", "i64", "documents (rows) returned"),
        Column("nmatched", "i64", "documents matched by a write"),
        Column("nmodified", "i64", "documents modified"),
        Column("ninserted", "i64", "documents inserted"),
        Column("ndeleted", "i64", "documents deleted"),
        Column("keys_inserted", "i64", "index keys inserted"),
        Column("keys_deleted", "i64", "index keys deleted"),
        Column("reslen", "i64", "response size in bytes"),
        Column("num_yields", "i64", "times the operation yielded"),
        Column("write_conflicts", "i64", "write conflicts"),
        Column("cpu_nanos", "i64", "CPU time (MongoDB 6.3+ cpuNanos)"),
        Column("working_millis", "f64", "time actively working (MongoDB 8.0 workingMillis)"),
        Column("planning_micros", "i64", "time spent planning"),
        Column("bytes_read", "i64", "bytes read from storage"),
        Column("time_reading_micros", "i64", "time spent reading from storage"),
        Column("plan_summary", "str", "the plan as logged, e.g. IXSCAN { a: 1 }"),
        Column("plan", "str", "plan kind: COLLSCAN, IXSCAN, IDHACK, ... or Seq Scan, ..."),
        Column("has_sort_stage", "bool", "an in-memory (blocking) sort was needed"),
        Column("used_disk", "bool", "the operation spilled to disk"),
        Column("from_multi_planner", "bool", "the plan came from the multi-planner"),
        Column("replanned", "bool", "the plan cache entry was replanned"),
        Column("query_hash", "str", "queryHash (MongoDB) or queryid (PostgreSQL) as logged"),
        Column("plan_cache_key", "str", "planCacheKey as logged"),
        Column("query_shape_hash", "str", "queryShapeHash (MongoDB 8.0+)"),
        Column("plan_cache_shape_hash", "str", "planCacheShapeHash (MongoDB 8.0+)"),
        Column("shape", "str", "normalized query: fields and operators kept, values replaced"),
        Column("shape_hash", "str", "fingerprint of namespace + op + shape"),
        Column("error_code", "i32", "error code if the operation failed"),
        Column("error_name", "str", "error name (codeName) if the operation failed"),
        Column("truncated", "bool", "the server truncated part of the logged attributes"),
        # engine-neutral facts the format computes, so analytics never names an engine's words
        Column(
            "full_scan",
            "bool",
            "the plan read the whole collection or table (COLLSCAN, Seq Scan)",
            backfill=Backfill("plan", ("COLLSCAN",)),
        ),
        Column(
            "is_system",
            "bool",
            "the operation ran on a system database (MongoDB: admin, local, config)",
            backfill=Backfill("db", ("admin", "local", "config")),
        ),
        # PostgreSQL (formats/postgres/): NULL for other engines
        Column("session_id", "str", "PostgreSQL session id (%c, csvlog/jsonlog session_id)"),
        Column("tables", "str", "every table the statement touches, comma-separated, sorted"),
        Column("sqlstate", "str", "SQLSTATE of a failed statement"),
        Column("params", "str", "the statement's parameters as logged: $1 = '42', $2 = 'x'"),
        Column(
            "plan_facts", "str", "JSON facts of an auto_explain plan: nodes, joins, rows, spills"
        ),
        Column("statement", "str", "the statement's text as logged (first 4096 characters)"),
    ),
)
