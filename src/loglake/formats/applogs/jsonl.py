"""Any JSON-lines application log (`jsonl`): one JSON object per line.

pino, bunyan, winston, zap, logrus, structlog, Serilog, ECS and OpenTelemetry (a
`resourceLogs` envelope per line gives one event per log record) all read without
configuration: `fields.py` finds each column's field by its common names. Its sniffing
priority is GENERIC, so a MongoDB or PostgreSQL JSON log stays theirs.

A record without a time field takes the time its file or folder name holds
(`2025-04-01T18:28:18.671Z-….json`, `…/2025/04/01/…`); otherwise it is a bad line
`no_timestamp`. A time field that does not read is `bad_timestamp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from loglake.formats.applogs import GENERIC_MAX, otel
from loglake.formats.applogs.fields import CANDIDATES, FieldMap, FieldReader
from loglake.formats.base import (
    BadLine,
    BadReason,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    Row,
    classify_garbage,
)
from loglake.formats.timestamps import path_time_us
from loglake.schema import Stream

_EVENTS = Stream.EVENTS
_TELLING = frozenset(CANDIDATES["ts"] + CANDIDATES["message"] + CANDIDATES["level"])
_DESCRIBE_RECORDS = 100  # the first records `describe` reads to say which field is which


def _object(line: bytes) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def looks_like_a_record(doc: dict[str, Any]) -> bool:
    """Whether a JSON object looks like a log record: a time, level or message field
    (top level, or ECS's `log.level`), or an OpenTelemetry envelope."""
    return otel.is_envelope(doc) or not _TELLING.isdisjoint(doc)


def sniff(lines: list[bytes]) -> float:
    """Share of lines that are JSON objects looking like log records (at most GENERIC_MAX)."""
    if not lines:
        return 0.0
    hits = 0
    for line in lines:
        if line.lstrip().startswith(b"{"):
            doc = _object(line)
            hits += doc is not None and looks_like_a_record(doc)
    return GENERIC_MAX * hits / len(lines)


class RecordParser:
    """Turns one file's JSON records (already decoded) into `events` rows."""

    def __init__(self, ctx: FileContext, track: bool = False) -> None:
        self.reader = FieldReader(FieldMap(ctx.field_map), track)
        self._file_time: int | bool | None = False  # not looked up yet
        self._path = ctx.path

    def file_time(self) -> int | None:
        """The time the file or folder name holds (looked up once)."""
        if self._file_time is False:
            self._file_time = path_time_us(self._path)
        return self._file_time  # type: ignore[return-value]

    def parse(self, doc: Any) -> Parsed | BadLine:
        """The events of one decoded JSON value (an object, or an OTel envelope)."""
        if not isinstance(doc, dict):
            return BadLine(BadReason.NOT_A_RECORD)
        records = otel.flat_records(doc) if otel.is_envelope(doc) else [doc]
        if not records:
            return BadLine(BadReason.NOT_A_RECORD)
        rows: list[tuple[Stream, Row]] = []
        for record in records:
            event, had_time = self.reader.read(record)
            if event.get("ts") is None:
                if had_time:
                    return BadLine(BadReason.BAD_TIMESTAMP)
                event["ts"] = self.file_time()
                if event["ts"] is None:
                    return BadLine(BadReason.NO_TIMESTAMP)
            rows.append((_EVENTS, event))
        return Parsed(rows)


def bad_json(record: bytes) -> BadLine:
    """Why bytes that do not decode as JSON are bad."""
    reason = classify_garbage(record)
    return BadLine(BadReason.INVALID_JSON if reason is BadReason.OTHER_FORMAT else reason)


def make_parser(ctx: FileContext) -> LineParser:
    """A parser for one JSON-lines file."""
    records = RecordParser(ctx)
    loads = orjson.loads

    def parse(line: bytes) -> Parsed | BadLine:
        try:
            doc = loads(line)
        except orjson.JSONDecodeError:
            return bad_json(line)
        return records.parse(doc)

    return parse


def describer(
    decode: Callable[[list[bytes]], list[Any]],
) -> Callable[[list[bytes], FileContext], dict[str, str]]:
    """A `describe` hook: which field filled each column in a file's first records."""

    def describe(head: list[bytes], ctx: FileContext) -> dict[str, str]:
        records = RecordParser(ctx, track=True)
        for doc in decode(head)[:_DESCRIBE_RECORDS]:
            records.parse(doc)
        return records.reader.detected()

    return describe


def _head_objects(head: list[bytes]) -> list[Any]:
    docs = []
    for line in head[:_DESCRIBE_RECORDS]:
        try:
            docs.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return docs


def _batch_parser(ctx: FileContext) -> Any:
    from loglake.formats.applogs.jsonl_batch import JsonlBatchParser  # imports this module

    return JsonlBatchParser(ctx)


SPEC = FormatSpec(
    name="jsonl",
    priority=Priority.GENERIC,
    sniff=sniff,
    make_parser=make_parser,
    describe=describer(_head_objects),
    batch_parser=_batch_parser,
)
