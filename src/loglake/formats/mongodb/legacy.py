"""MongoDB 2.2-4.2 text logs: `<timestamp> [<severity> <COMPONENT>] [<context>] <message>`.

Timestamps are ISO-8601 with an offset (`2019-06-01T10:00:00.123+0000`, `…Z`) or ctime
(`Mon Jun  1 10:00:00.123`, 2.2-2.4 and `--timeStampFormat ctime`). A ctime date has no year
and no zone: the first line is in `ctx.year_hint`, the year goes up whenever the month goes
back (December -> January), and the time is taken as UTC. So a ctime file is parsed by one
worker, in order; an ISO-dated file may be cut into byte ranges (`splittable`), each range's
parser first reading the WARMUP_BYTES before it to learn its connections' mechanisms.

A line that does not start with a timestamp is a `BadLine(OTHER_FORMAT)`. That includes the
rare continuation lines of a multi-line message (the mtools test logs have two, both
hand-made); like mtools we do not glue them to the line before: they keep their offset, so
they can still be read back, and they are counted as bad lines.

Slow operations (`<op> <ns> … <N>ms` for query, getmore, update, remove, insert, command,
killcursors) also give a slow_queries row, built by `legacy_ops`.
Authentication and connection messages give authentications and connections rows. In 2.x
logs (no severity) the `authenticate db: …` line is the only record of a successful login
and counts as a success; a failed 2.x login therefore also leaves one such success row
before its failure row. From 3.0 on the server logs the outcome itself, and
`authenticate db:` only lends its mechanism to the outcome line of its connection.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

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
from loglake.formats.levels import mongodb_level
from loglake.formats.mongodb.commands import FULL_SCAN_STAGE
from loglake.formats.mongodb.json_line import connection_number, split_host_port
from loglake.formats.mongodb.legacy_ops import OP_PREFIXES, parse_int, slow_query_row
from loglake.formats.mongodb.shell_syntax import parse_document
from loglake.formats.timestamps import IsoParser
from loglake.schema import Stream

WARMUP_BYTES = 256 * 1024  # to learn which mechanism each connection authenticates with


def splittable(head: list[bytes]) -> bool:
    """Whether a file can be cut into ranges: every dated line among `head` is ISO-dated."""
    stamps = [m for line in head if (m := _STAMP.match(line))]
    return bool(stamps) and all(m.group(1) for m in stamps)


_EVENTS = Stream.EVENTS
_MESSAGE_LIMIT = 4096
_CACHE_LIMIT = 100_000
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_CTIME = (
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) +(\d{1,2})"
    r" (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
)
_HEADER = re.compile(
    rf"(?:(?P<iso>{_ISO})|{_CTIME})"
    r"(?: +(?P<sev>[IWEFDU][1-5]?) +(?P<comp>[A-Z][A-Z0-9_]*|-)(?= ))?"
    r" *(?:\[(?P<ctx>[^\]]*)\])? ?(?P<msg>.*)",
    re.DOTALL | re.ASCII,
)
_STAMP = re.compile(rf"(?:({_ISO})|{_CTIME})".encode())
_SNIFF = re.compile(rf"(?:{_ISO}|{_CTIME}) +(?:\[|[IWEFDU][1-5]? +(?:[A-Z][A-Z0-9_]*|-) )".encode())
_CONTROL = bytes(range(9)) + bytes(range(14, 32))  # as base.classify_garbage
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_AUTH_PREFIXES = ("Successfully authenticated", "Failed to authenticate", "SASL ", "auth: ")
# Authentication outcomes; a pattern with an `err` group is a failure.
_AUTH_RESULTS = tuple(
    re.compile(pattern)
    for pattern in (
        r"Successfully authenticated as principal (?P<user>.*?) on (?P<db>\S+)"
        r"(?: from client (?P<addr>\S+))?$",
        r"Failed to authenticate (?P<principal>.*?)(?: from client (?P<addr>\S+))?"
        r" with mechanism (?P<mech>[^:\s]+): (?P<err>.*)$",
        r"SASL (?P<mech>\S+) authentication failed for (?P<user>.*?) on (?P<db>\S+)"
        r"(?: from client (?P<addr>\S+))? ; (?P<err>.*)$",
        r"auth: (?P<err>couldn't find user) (?P<principal>[^,\s]*)(?:, (?P<db>[^.\s]*))?",
    )
)
_ATTEMPT = re.compile(r"authenticate db: (?P<db>\S+) (?P<doc>\{.*)$")
_ACCEPTED = re.compile(
    r"connection accepted from (?P<addr>.+?) #(?P<id>\S+)"
    r"(?: \((?P<n>\d+) connections? now open\))?$"
)
_ENDED = re.compile(r"end connection (?P<addr>.+?)(?: \((?P<n>\d+) connections? now open\))?$")
_METADATA = re.compile(r"received client metadata from (?P<addr>\S+) (?P<conn>\S*): (?P<doc>\{.*)$")
_HOST = re.compile(rb"(?:MongoDB|MongoS version \S+) start.*? port=(\d+) .*?host=(\S+)")


def sniff(lines: list[bytes]) -> float:
    """About 0.9 when most lines start like a pre-4.4 mongod/mongos text log line."""
    if not lines:
        return 0.0
    hits = sum(1 for line in lines if _SNIFF.match(line.lstrip()))
    return round(0.9 * hits / len(lines), 3)


def year_hint_for(head: list[bytes], tail: list[bytes], mtime_year: int) -> int:
    """The year of a file's first line, from its first and last lines and its mtime year."""
    first = next((m for m in map(_STAMP.match, head) if m), None)
    if first is None:
        return mtime_year
    if first[1]:
        return int(first[1][:4])
    last = next((m for m in map(_STAMP.match, reversed(tail)) if m and m[2]), None)
    if last is not None and _MONTHS.get(last[2].decode(), 0) < _MONTHS.get(first[2].decode(), 0):
        return mtime_year - 1
    return mtime_year


def host_of(head: list[bytes]) -> str | None:
    """`host:port` from a "MongoDB starting" (or mongos "starting") line, if any."""
    for line in head:
        m = _HOST.search(line)
        if m:
            return f"{m[2].decode(errors='replace')}:{int(m[1])}"
    return None


def make_parser(ctx: FileContext) -> LineParser:
    """A line parser for one legacy log file, fed its lines in order."""
    return _Parser(ctx.year_hint)


class _Parser:
    """The per-file state: the ctime year counter, timestamp caches, auth mechanisms."""

    __slots__ = ("_ctime_cache", "_iso", "_last_month", "_mechanisms", "_year")

    def __init__(self, year: int) -> None:
        self._year = year
        self._last_month = 0
        self._iso = IsoParser()
        self._ctime_cache: dict[tuple[int, int, str, str, str, str], int] = {}
        self._mechanisms: dict[int, str] = {}

    def __call__(self, line: bytes) -> Parsed | BadLine:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(classify_garbage(line))
        if len(line.translate(None, _CONTROL)) != len(line):
            return BadLine(BadReason.BINARY)
        m = _HEADER.match(text)
        if m is None:
            return BadLine(BadReason.OTHER_FORMAT)
        try:
            ts = self._timestamp(m)
        except (ValueError, OverflowError):
            ts = None
        if ts is None:
            return BadLine(BadReason.BAD_TIMESTAMP)
        msg = m["msg"].lstrip(" ")
        context = m["ctx"]
        event: Row = {
            "ts": ts,
            "severity": m["sev"],
            "level": mongodb_level(m["sev"]),
            "component": m["comp"],
            "msg_id": None,
            "context": context,
            "message": msg[:_MESSAGE_LIMIT],
            "user": None,
            "attrs": None,
        }
        try:
            return self._classify(event, msg, context, m["sev"] is None)
        except Exception:  # noqa: BLE001 - a parser never raises: the line stays an event
            return Parsed([(_EVENTS, event)])

    def _timestamp(self, m: re.Match[str]) -> int | None:
        iso = m["iso"]
        if iso is not None:
            ts = self._iso(iso)
            if ts is not None:
                self._year, self._last_month = int(iso[:4]), int(iso[5:7])
            return ts
        month = _MONTHS.get(m[2])
        if month is None:
            return None
        if month < self._last_month:
            self._year += 1  # December -> January
        self._last_month = month
        key = (self._year, month, m[3], m[4], m[5], m[6])
        base = self._ctime_cache.get(key)
        if base is None:
            moment = datetime(
                self._year, month, int(m[3]), int(m[4]), int(m[5]), int(m[6]), tzinfo=UTC
            )
            delta = moment - _EPOCH
            base = (delta.days * 86_400 + delta.seconds) * 1_000_000
            if len(self._ctime_cache) > _CACHE_LIMIT:
                self._ctime_cache.clear()
            self._ctime_cache[key] = base
        frac = m[7]
        return base + int(frac.ljust(6, "0")) if frac else base

    def _classify(self, event: Row, msg: str, context: str | None, old: bool) -> Parsed:
        row: Row | None
        if msg.endswith("ms") and msg.startswith(OP_PREFIXES):
            row, stream = slow_query_row(msg, context), Stream.SLOW_QUERIES
        elif msg.startswith(("connection accepted", "end connection", "received client")):
            row, stream = connection_row(msg, context), Stream.CONNECTIONS
        elif msg.startswith(_AUTH_PREFIXES):
            row, stream = auth_row(msg, context), Stream.AUTHENTICATIONS
            if row is not None and row["connection_id"] is not None:
                mechanism = self._mechanisms.pop(row["connection_id"], None)
                row["mechanism"] = row["mechanism"] or mechanism
        elif msg.startswith("authenticate db: "):
            row, stream = self._attempt(msg, context, old), Stream.AUTHENTICATIONS
        else:
            return Parsed([(_EVENTS, event)])
        if row is None:
            return Parsed([(_EVENTS, event)])
        row["ts"] = event["ts"]
        if stream is Stream.AUTHENTICATIONS:
            event["user"] = row["user"]
        elif stream is Stream.SLOW_QUERIES:  # as the JSON formats: the duration it logged
            event["duration_ms"] = row["duration_ms"]
        return Parsed([(_EVENTS, event), (stream, row)])

    def _attempt(self, msg: str, context: str | None, old: bool) -> Row | None:
        """`authenticate db: admin { authenticate: 1, user: "u", mechanism: … }`."""
        m = _ATTEMPT.match(msg)
        if m is None:
            return None
        doc, _, _ = parse_document(m["doc"])
        doc = doc if isinstance(doc, dict) else {}
        mechanism = doc.get("mechanism")
        if not isinstance(mechanism, str):
            mechanism = "MONGODB-CR" if "nonce" in doc else None
        if old:
            return _auth(
                {"user": _text(doc.get("user")), "db": m["db"], "mech": mechanism}, context
            )
        conn = connection_number(context)
        if conn is not None and mechanism:
            if len(self._mechanisms) > _CACHE_LIMIT:
                self._mechanisms.clear()
            self._mechanisms[conn] = mechanism
        return None


def auth_row(msg: str, context: str | None) -> Row | None:
    """The authentications row of a success or failure message, or None."""
    m = next(filter(None, (pattern.match(msg) for pattern in _AUTH_RESULTS)), None)
    return None if m is None else _auth(m.groupdict(), context)


def _auth(found: dict[str, Any], context: str | None) -> Row:
    """An authentications row from the named parts of a message (user, db, mech, err, …)."""
    user, db = found.get("user"), found.get("db")
    if found.get("principal") is not None:
        name, at, principal_db = found["principal"].rpartition("@")
        user, db = (name, principal_db) if at else (principal_db, db)
    client_ip, client_port = split_host_port(found.get("addr"))
    return {
        "user": user or None,
        "auth_db": db or None,
        "mechanism": found.get("mech"),
        "result": "success" if found.get("err") is None else "failure",
        "error": found.get("err"),
        "error_code": None,
        "connection_id": connection_number(context),
        "client_ip": client_ip,
        "client_port": client_port,
    }


def connection_row(msg: str, context: str | None) -> Row | None:
    """The connections row of an accepted, ended or client-metadata message, or None."""
    conn: int | None
    if m := _ACCEPTED.match(msg):
        event, conn = "accepted", parse_int(m["id"]) if m["id"].isdigit() else None
    elif m := _ENDED.match(msg):
        event, conn = "ended", connection_number(context)
    elif m := _METADATA.match(msg):
        event, conn = "metadata", connection_number(m["conn"]) or connection_number(context)
    else:
        return None
    client_ip, client_port = split_host_port(m["addr"])
    row: Row = {"event": event, "connection_id": conn, "client_ip": client_ip}
    row["client_port"] = client_port
    if event != "metadata":
        row["connection_count"] = int(m["n"]) if m["n"] else None
        return row
    doc, _, _ = parse_document(m["doc"])
    doc = doc if isinstance(doc, dict) else {}
    driver, os_doc, app = (_sub(doc, key) for key in ("driver", "os", "application"))
    row["driver_name"], row["driver_version"] = (
        _text(driver.get("name")),
        _text(driver.get("version")),
    )
    row["os_type"], row["os_name"] = _text(os_doc.get("type")), _text(os_doc.get("name"))
    row["platform"], row["app_name"] = _text(doc.get("platform")), _text(app.get("name"))
    return row


def _sub(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


SPEC = FormatSpec(
    name="mongodb-legacy",
    priority=Priority.SPECIFIC,
    sniff=sniff,
    make_parser=make_parser,
    splittable=splittable,
    warmup_bytes=WARMUP_BYTES,
    host_of=host_of,
    year_hint=year_hint_for,
    full_scan_plans=(FULL_SCAN_STAGE,),
)
