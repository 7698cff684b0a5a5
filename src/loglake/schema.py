"""The streams' columns, declared once: Arrow schemas, docs and views derive from here.

Parsers emit plain dicts keyed by these column names; `ts` is an int of microseconds since
the Unix epoch (UTC) and becomes TIMESTAMP WITH TIME ZONE in Parquet. Every row carries the
offset columns so the original line can be read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class Stream(StrEnum):
    """The four streams of the log lake (one Parquet dataset each)."""

    SLOW_QUERIES = "slow_queries"
    AUTHENTICATIONS = "authentications"
    CONNECTIONS = "connections"
    EVENTS = "events"


@dataclass(frozen=True)
class Column:
    """One column: its name, a type code (see `_ARROW_TYPES`) and what it means."""

    name: str
    kind: str
    doc: str


# Columns every stream starts with: when, where it came from, and how to read the line back.
_COMMON = (
    Column("ts", "ts", "event time, UTC"),
    Column("host", "str", "server that wrote the log (host:port when known)"),
    Column("file_id", "str", "source file id, see index/file_map.json"),
    Column("file_offset", "i64", "byte offset of the line in the (decompressed) source"),
    Column("line_length", "i64", "length of the line in bytes, without its line ending"),
)

COLUMNS: dict[Stream, tuple[Column, ...]] = {
    Stream.SLOW_QUERIES: (
        *_COMMON,
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
    ),
    Stream.AUTHENTICATIONS: (
        *_COMMON,
        Column("user", "str", "user name"),
        Column("auth_db", "str", "authentication database"),
        Column("mechanism", "str", "SCRAM-SHA-256, MONGODB-X509, ..."),
        Column("result", "str", "success or failure"),
        Column("error", "str", "failure reason as logged"),
        Column("error_code", "i32", "failure code"),
        Column("connection_id", "i64", "server connection number"),
        Column("client_ip", "str", "client address"),
        Column("client_port", "i32", "client port"),
    ),
    Stream.CONNECTIONS: (
        *_COMMON,
        Column("event", "str", "accepted, ended or metadata"),
        Column("connection_id", "i64", "server connection number"),
        Column("client_ip", "str", "client address"),
        Column("client_port", "i32", "client port"),
        Column("connection_count", "i64", "open connections after this event, as logged"),
        Column("uuid", "str", "connection UUID"),
        Column("driver_name", "str", "driver name (client metadata)"),
        Column("driver_version", "str", "driver version (client metadata)"),
        Column("app_name", "str", "application name (client metadata)"),
        Column("os_type", "str", "client OS type (client metadata)"),
        Column("os_name", "str", "client OS name (client metadata)"),
        Column("platform", "str", "client platform (client metadata)"),
    ),
    Stream.EVENTS: (
        *_COMMON,
        Column("severity", "str", "severity or level (I, W, E, F, D1.. for MongoDB)"),
        Column("component", "str", "component or source"),
        Column("msg_id", "i64", "message id (MongoDB structured logs)"),
        Column("context", "str", "thread or context, e.g. conn12"),
        Column("message", "str", "message text or template"),
        Column("user", "str", "user where known"),
        Column("attrs", "str", "JSON attributes for generic logs"),
    ),
}

PARTITION_COLUMN = "date"


def column_names(stream: Stream) -> tuple[str, ...]:
    """The column names of a stream, in order."""
    return tuple(c.name for c in COLUMNS[stream])


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
