"""PostgreSQL csvlog (`log_destination = csvlog`), the column sets of PostgreSQL 12 to 17.

PostgreSQL 12 writes 23 columns, 13 adds `backend_type`, 14 adds `leader_pid` and
`query_id` (26, unchanged through 17). A record is one CSV row; quoted fields hold the
newlines of multi-line statements (CSV framing), and a row starts with its `log_time`, which
lets byte ranges resync.
"""

from __future__ import annotations

import csv
import io
import re

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
from loglake.formats.postgres.entries import Entry, EntryRows
from loglake.formats.postgres.explain import FULL_SCAN
from loglake.formats.postgres.prefix import SEVERITIES
from loglake.formats.postgres.stderr import WARMUP_BYTES
from loglake.formats.postgres.stderr import splittable as stderr_splittable
from loglake.formats.postgres.times import pg_time
from loglake.sources.framing import Framing

COLUMNS = (
    "log_time", "user_name", "database_name", "process_id", "connection_from", "session_id",
    "session_line_num", "command_tag", "session_start_time", "virtual_transaction_id",
    "transaction_id", "error_severity", "sql_state_code", "message", "detail", "hint",
    "internal_query", "internal_query_pos", "context", "query", "query_pos", "location",
    "application_name", "backend_type", "leader_pid", "query_id",
)  # fmt: skip
# PostgreSQL 12 (23), 13 (24), 14-17 (26); rows a column short (22, 25) are read as well:
# hand-made and re-exported files drop trailing empty fields
_SIZES = range(22, 27)
_START = re.compile(rb'"?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? ?[^,"]*"?,')
_SEVERITY_FIELD = re.compile(rb",(?:%s),[0-9A-Z]{5}," % b"|".join(s.encode() for s in SEVERITIES))


def record_start(line: bytes) -> bool:
    """A csvlog row starts with its log_time."""
    return _START.match(line) is not None


def sniff(lines: list[bytes]) -> float:
    """High when most rows start with a timestamp and hold a severity and SQLSTATE field."""
    starts = [ln for ln in lines if record_start(ln)]
    if not starts:
        return 0.0
    hits = sum(1 for ln in starts if _SEVERITY_FIELD.search(ln))
    return round(0.97 * hits / len(starts), 3) if hits * 2 >= len(starts) else 0.0


def splittable(head: list[bytes]) -> bool:
    """As stderr: not when log_statement and log_duration lines pair up."""
    return stderr_splittable([b"LOG:  " + _message_start(ln) for ln in head])


def _message_start(line: bytes) -> bytes:
    m = _SEVERITY_FIELD.search(line)
    return line[m.end() :].lstrip(b'"') if m else b""


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def entry_of(fields: dict[str, str]) -> Entry | None:
    """An entry from csvlog (or CloudNativePG's JSON) fields, or None without a time."""
    ts = pg_time(fields.get("log_time", ""))
    severity = fields.get("error_severity", "")
    if ts is None or not severity:
        return None
    client, _, port = (fields.get("connection_from") or "").rpartition(":")
    if not client:
        client, port = fields.get("connection_from") or "", ""
    return Entry(
        ts=ts,
        severity=severity,
        message=fields.get("message", ""),
        pid=_int(fields.get("process_id", "")),
        user=fields.get("user_name"),
        db=fields.get("database_name"),
        app=fields.get("application_name"),
        client=client or None,
        port=_int(port),
        session_id=fields.get("session_id") or None,
        line_num=_int(fields.get("session_line_num", "")),
        sqlstate=fields.get("sql_state_code") or None,
        backend=fields.get("backend_type") or None,
        query_id=fields.get("query_id") or None,
        command_tag=fields.get("command_tag") or None,
        detail=fields.get("detail") or None,
        hint=fields.get("hint") or None,
        statement=fields.get("query") or None,
        context=fields.get("context") or None,
        query=fields.get("internal_query") or None,
    )


def make_parser(_ctx: FileContext) -> LineParser:
    """A parser of one csvlog file's rows."""
    rows = EntryRows()

    def parse(record: bytes) -> Parsed | BadLine:
        try:
            text = record.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(classify_garbage(record))
        if "\x00" in text:
            return BadLine(BadReason.BINARY)
        try:
            values = next(csv.reader(io.StringIO(text)), [])
        except csv.Error:
            return BadLine(BadReason.OTHER_FORMAT)
        if len(values) not in _SIZES:
            return BadLine(classify_garbage(record))
        entry = entry_of(dict(zip(COLUMNS, values, strict=False)))
        return rows.parsed(entry)

    return parse


SPEC = FormatSpec(
    name="postgres-csvlog",
    priority=Priority.SPECIFIC,
    sniff=sniff,
    make_parser=make_parser,
    framing=Framing.CSV,
    record_start=record_start,
    splittable=splittable,
    warmup_bytes=WARMUP_BYTES,
    full_scan_plans=(FULL_SCAN,),
    family="postgres",
)
