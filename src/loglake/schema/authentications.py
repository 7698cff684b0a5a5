"""The `authentications` stream: one row per authentication attempt, successful or not."""

from __future__ import annotations

from loglake.schema.base import COMMON, Column, StreamSpec

SPEC = StreamSpec(
    name="authentications",
    doc="One row per authentication attempt, successful or not.",
    columns=(
        *COMMON,
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
)
