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
        # shared by every log family (PostgreSQL, application logs); NULL where a format has none
        Column("level", "str", "normalized level: TRACE, DEBUG, INFO, WARN, ERROR or FATAL"),
        Column("code", "str", "error or message code as text, e.g. a PostgreSQL SQLSTATE"),
        Column("request_id", "str", "request or trace id where the log carries one"),
        Column("template_id", "str", "id of the message template (see `loglake templates`)"),
        Column("duration_ms", "f64", "duration the record reports, in milliseconds"),
        Column("http_method", "str", "HTTP method of an access or request record"),
        Column("http_path", "str", "HTTP path (URL without host) of an access or request record"),
        Column("http_status", "i32", "HTTP status code"),
        Column("http_bytes", "i64", "HTTP response size in bytes"),
    ),
)
