"""The `connections` stream: one row per connection event: accepted, ended, client metadata."""

from __future__ import annotations

from loglake.schema.base import COMMON, Column, StreamSpec

SPEC = StreamSpec(
    name="connections",
    doc="One row per connection event: accepted, ended, client metadata.",
    columns=(
        *COMMON,
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
        # PostgreSQL (formats/postgres/): NULL for other engines
        Column("session_ms", "f64", "session duration of an ended connection, in milliseconds"),
        Column("user", "str", "user of the session"),
        Column("db", "str", "database of the session"),
    ),
)
