"""The `events` stream: every record of every log, lightweight: the base of search and retrieval."""

from __future__ import annotations

from loglake.schema.base import COMMON, Column, StreamSpec

SPEC = StreamSpec(
    name="events",
    doc="Every record of every log, lightweight: the base of search and retrieval.",
    columns=(
        *COMMON,
        Column("severity", "str", "severity or level (I, W, E, F, D1.. for MongoDB)"),
        Column("component", "str", "component or source"),
        Column("msg_id", "i64", "message id (MongoDB structured logs)"),
        Column("context", "str", "thread or context, e.g. conn12"),
        Column("message", "str", "message text or template"),
        Column("user", "str", "user where known"),
        Column("attrs", "str", "JSON attributes for generic logs"),
    ),
)
