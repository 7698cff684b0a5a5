"""PostgreSQL jsonlog (15+), CloudNativePG's JSON and Cloud SQL's JSON (one object a line).

- jsonlog: `{"timestamp", "user", "dbname", "pid", "remote_host", "remote_port",
  "session_id", "line_num", "ps", "error_severity", "state_code", "message", "detail",
  "hint", "statement", "application_name", "backend_type", "query_id", ...}`
- CloudNativePG: `{"level", "ts", "logger": "postgres", "msg": "record", "record": {csvlog
  columns by name}}`; its other lines (the operator's own) are events of kind other.
- Cloud SQL (Cloud Logging export): `{"textPayload": "<a stderr line>", "timestamp", ...}`:
  the payload is read as a stderr entry.
"""

from __future__ import annotations

from typing import Any

import orjson

from loglake.formats.base import (
    BadLine,
    BadReason,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    classify_garbage,
)
from loglake.formats.levels import postgres_level
from loglake.formats.postgres import stderr
from loglake.formats.postgres.csvlog import entry_of
from loglake.formats.postgres.entries import MESSAGE_LIMIT, Entry, EntryRows
from loglake.formats.postgres.explain import FULL_SCAN
from loglake.formats.postgres.times import pg_time
from loglake.schema import Stream

_JSONLOG_KEYS = (b'"error_severity"', b'"timestamp"')
_CNPG_KEYS = (b'"logger"', b'"record"')


def sniff(lines: list[bytes]) -> float:
    """High when most lines are JSON objects with PostgreSQL's keys (or CNPG/Cloud SQL's)."""
    if not lines:
        return 0.0
    hits = 0
    for line in lines:
        text = line.lstrip()
        if not text.startswith(b"{"):
            continue
        if (
            all(k in text for k in _JSONLOG_KEYS)
            or all(k in text for k in _CNPG_KEYS)
            or (b'"textPayload"' in text and stderr.sniff([_payload(text)]) > 0.5)
        ):
            hits += 1
    return round(0.97 * hits / len(lines), 3)


def _payload(line: bytes) -> bytes:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return b""
    value = doc.get("textPayload") if isinstance(doc, dict) else None
    return value.encode() if isinstance(value, str) else b""


def splittable(head: list[bytes]) -> bool:
    """As stderr: not when log_statement and log_duration lines pair up."""
    messages = []
    for line in head:
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("record"), dict):
            doc = doc["record"]
        message = doc.get("message") if isinstance(doc, dict) else None
        if isinstance(message, str):
            messages.append(b"LOG:  " + message[:60].encode())
    return stderr.splittable(messages)


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def jsonlog_entry(doc: dict[str, Any]) -> Entry | None:
    """An entry from a PostgreSQL 15+ jsonlog object."""
    ts = pg_time(str(doc.get("timestamp", "")))
    severity = doc.get("error_severity")
    if ts is None or not isinstance(severity, str):
        return None
    pid, port = doc.get("pid"), doc.get("remote_port")
    return Entry(
        ts=ts,
        severity=severity,
        message=str(doc.get("message", "")),
        pid=pid if isinstance(pid, int) else None,
        user=_text(doc.get("user")),
        db=_text(doc.get("dbname")),
        app=_text(doc.get("application_name")),
        client=_text(doc.get("remote_host")),
        port=port if isinstance(port, int) else None,
        session_id=_text(doc.get("session_id")),
        line_num=doc.get("line_num") if isinstance(doc.get("line_num"), int) else None,
        sqlstate=_text(doc.get("state_code")),
        backend=_text(doc.get("backend_type")),
        query_id=_text(doc.get("query_id")),
        command_tag=_text(doc.get("ps")),
        detail=_text(doc.get("detail")),
        hint=_text(doc.get("hint")),
        statement=_text(doc.get("statement")),
        context=_text(doc.get("context")),
        query=_text(doc.get("internal_query")),
    )


def _other_line(doc: dict[str, Any]) -> Parsed | None:
    """A CloudNativePG line that is not a PostgreSQL record: an event of kind other."""
    ts = doc.get("ts")
    if not isinstance(ts, (int, float)):
        ts_us = pg_time(str(ts)) if isinstance(ts, str) else None
    else:
        ts_us = round(ts * 1_000_000)
    if ts_us is None:
        return None
    level = str(doc.get("level", "")).upper()
    severity = {"INFO": "LOG", "ERROR": "ERROR", "DEBUG": "DEBUG1", "WARNING": "WARNING"}.get(level)
    event = {
        "ts": ts_us,
        "severity": level or None,
        "component": _text(doc.get("logger")),
        "message": str(doc.get("msg", ""))[:MESSAGE_LIMIT],
        "attrs": orjson.dumps(
            {"kind": "other", **{k: v for k, v in doc.items() if k not in ("ts", "msg", "level")}},
            default=str,
        ).decode(),
        "level": postgres_level(severity),
    }
    return Parsed(rows=[(Stream.EVENTS, event)])


def make_parser(ctx: FileContext) -> LineParser:
    """A parser of one JSON log file's lines."""
    rows = EntryRows()
    text_parser = stderr.make_parser(ctx)

    def parse(record: bytes) -> Parsed | BadLine:
        try:
            doc = orjson.loads(record)
        except orjson.JSONDecodeError:
            reason = classify_garbage(record)
            return BadLine(BadReason.INVALID_JSON if reason is BadReason.OTHER_FORMAT else reason)
        if not isinstance(doc, dict):
            return BadLine(BadReason.NOT_A_RECORD)
        entry: Entry | None
        if isinstance(doc.get("record"), dict):
            fields = {k: _text(v) or "" for k, v in doc["record"].items()}
            entry = entry_of(fields)
        elif "error_severity" in doc:
            entry = jsonlog_entry(doc)
        elif isinstance(doc.get("textPayload"), str):
            return text_parser(doc["textPayload"].encode())
        else:
            other = _other_line(doc)
            return other if other is not None else BadLine(BadReason.NOT_A_RECORD)
        return rows.parsed(entry)

    return parse


SPEC = FormatSpec(
    name="postgres-jsonlog",
    priority=Priority.SPECIFIC,
    sniff=sniff,
    make_parser=make_parser,
    splittable=splittable,
    warmup_bytes=stderr.WARMUP_BYTES,
    full_scan_plans=(FULL_SCAN,),
    family="postgres",
)
