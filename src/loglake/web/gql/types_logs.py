"""GraphQL types of the log retrieval questions: `logs` (records) and `templates`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from loglake.web.gql.types import Long, from_row


@strawberry.input(description="A field of the record's attrs that must equal a value")
class FieldEquals:
    name: str = strawberry.field(description="field name; . nests (e.g. req.method)")
    value: str


@strawberry.input(description="Which log records to list (all optional)")
class LogFilter:
    from_: str | None = strawberry.field(
        default=None, name="from", description="start (inclusive), ISO 8601; naive = UTC"
    )
    to: str | None = strawberry.field(default=None, description="end (exclusive), ISO 8601")
    date: str | None = strawberry.field(default=None, description="one day, YYYY-MM-DD, in tz")
    tz: str | None = strawberry.field(default=None, description="time zone (IANA name)")
    user: str | None = None
    level: str | None = strawberry.field(default=None, description="normalized level (ERROR)")
    min_level: str | None = strawberry.field(default=None, description="this level or worse")
    keyword: str | None = strawberry.field(default=None, description="text in the message")
    regex: bool = strawberry.field(default=False, description="keyword is an RE2 expression")
    source: str | None = strawberry.field(default=None, description="logger, service")
    host: str | None = None
    template: str | None = strawberry.field(default=None, description="a template id")
    request_id: str | None = None
    tag: str | None = None
    fields: list[FieldEquals] | None = None

    def args(self) -> dict[str, Any]:
        """The filter as the registry's parameters."""
        args: dict[str, Any] = {
            "from": self.from_,
            "to": self.to,
            "date": self.date,
            "tz": self.tz,
            "user": self.user,
            "level": self.level,
            "min_level": self.min_level,
            "keyword": self.keyword,
            "regex": "1" if self.regex else None,
            "source": self.source,
            "host": self.host,
            "template": self.template,
            "request_id": self.request_id,
            "tag": self.tag,
        }
        for pair in self.fields or ():
            args[f"field.{pair.name}"] = pair.value
        return args


@strawberry.input(description="Which records the templates are counted over (all optional)")
class TemplateFilter:
    from_: str | None = strawberry.field(default=None, name="from", description="ISO 8601")
    to: str | None = None
    level: str | None = None
    component: str | None = None
    text: str | None = strawberry.field(default=None, description="text in the template")

    def args(self) -> dict[str, Any]:
        """The filter as the registry's parameters."""
        return {
            "from": self.from_,
            "to": self.to,
            "level": self.level,
            "component": self.component,
            "q": self.text,
        }


@strawberry.type(description="One log record")
class LogRecord:
    ts: str | None
    level: str | None
    severity: int | None
    source: str | None
    host: str | None
    user: str | None
    message: str | None
    template_id: str | None
    request_id: str | None
    duration_ms: float | None
    http_method: str | None
    http_path: str | None
    http_status: int | None
    attrs: JSON | None
    file_id: str
    file_offset: Long
    line_length: Long | None
    raw_url: str = strawberry.field(description="the API link to the raw entry")


@strawberry.type(description="A page of log records, newest first")
class LogPage:
    rows: list[LogRecord]
    total: int
    next_cursor: str | None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> LogPage:
        """The type from the logs answer."""
        rows = [from_row(LogRecord, row) for row in answer["rows"]]
        return cls(rows=rows, total=answer["total"], next_cursor=answer["next_cursor"])


@strawberry.type(description="A kind of message: its template, count, when, levels, trend")
class Template:
    template_id: str | None
    template: str | None
    source: str | None
    count: int
    share: float
    first_ts: str | None
    last_ts: str | None
    example: str | None
    example_file_id: str | None
    example_file_offset: Long | None
    levels: JSON = strawberry.field(description="records per level, commonest first")
    trend: list[int]


@strawberry.type(description="Message templates, commonest first")
class TemplatePage:
    rows: list[Template]
    total: int
    trend_start: str | None
    bucket_seconds: float

    @classmethod
    def of(cls, answer: dict[str, Any]) -> TemplatePage:
        """The type from the templates answer."""
        rows = [from_row(Template, row) for row in answer["rows"]]
        return cls(
            rows=rows,
            total=answer["total"],
            trend_start=answer["trend_start"],
            bucket_seconds=answer["bucket_seconds"],
        )
