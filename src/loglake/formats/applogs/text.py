"""Text application and system logs (`text`): one layout per kind of line, found per record.

- syslog: RFC 5424 (`<165>1 2003-10-11T22:14:15.003Z host app 123 ID47 [sd] msg`) and
  RFC 3164 (`<34>Oct 11 22:14:15 host app[123]: msg`, the `<PRI>` optional, as files
  write it; no year: it comes from the file's time and rolls over at New Year, so such
  a file is read by one worker, in order);
- access logs: nginx/Apache combined and common formats, plus a response time when the
  line ends with one (nginx `$request_time` seconds such as `0.088`, or `rt=`,
  `request_time=`, `upstream_response_time=`); the level follows the status (5xx ERROR,
  4xx WARN, else INFO);
- Apache's error log (`[Sun Dec 04 04:47:44 2005] [error] …`, 2.4's `[core:error] [pid …]`);
- Python logging (`2026-11-30 10:00:00,123 - name - LEVEL - msg` and basicConfig's
  `LEVEL:name:msg`, which has no time);
- log4j/logback layouts and Loghub's "timestamp level source: message" lines
  (`2026-11-30 10:00:00.123 [thread] LEVEL logger - msg`, `… LEVEL [thread] logger: msg`,
  HDFS's `081109 203615 148 INFO dfs.DataNode: msg`, Spark's `17/06/09 20:10:40 INFO
  executor.Backend: msg`, ZooKeeper's `… - INFO  [thread] - msg`, OpenStack's
  `… 25746 INFO nova.api [req-…] msg`).

Multi-line entries (Java stack traces, Python tracebacks) are joined to their first line by
CONTINUATION framing: a record starts at a line that begins like one of the layouts, and
every other line continues the record before it. The message holds the whole entry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from loglake.formats.applogs import GENERIC_MAX
from loglake.formats.applogs.fields import url_path
from loglake.formats.applogs.times import TextTimes
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
from loglake.formats.levels import syslog_level, word_level
from loglake.formats.timestamps import path_time_us
from loglake.schema import Stream
from loglake.sources.framing import Framing

_EVENTS = Stream.EVENTS
_LEVEL_WORDS = (
    "TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|FATAL|"
    "trace|debug|info|notice|warn|warning|error|fatal|critical"
)
_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z| ?[+-]\d\d:?\d\d)?"
_QUOTED = r'(?:[^"\\]|\\.)*'


class Layout:
    """One kind of text line: a regex with named groups and how its time reads."""

    def __init__(self, name: str, pattern: str, time_kind: str) -> None:
        self.name = name
        self.regex = re.compile(pattern, re.DOTALL)
        self.time_kind = time_kind  # a TextTimes method name, or "" for lines without time


LAYOUTS = (
    Layout(
        "syslog-5424",
        r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<component>\S+) (?P<pid>\S+) "
        r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?",
        "iso",
    ),
    Layout(
        "access",
        rf"(?:(?P<vhost>\S+) )?(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<ts>[^\]]+)\]"
        rf' "(?P<request>{_QUOTED})"'
        rf' (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)(?: "(?P<referer>{_QUOTED})"'
        rf' "(?P<agent>{_QUOTED})")?(?P<rest>.*)',
        "clf",
    ),
    Layout(
        "apache-error",
        r"\[(?P<ts>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
        r" \d{4})\] \[(?:(?P<component>[\w.-]+):)?(?P<level>[a-z]+\d?)\]"
        r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])? ?(?P<message>.*)",
        "ctime",
    ),
    Layout(
        "python",
        r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?P<component>\S+) - "
        r"(?P<level>[A-Z]+) - (?P<message>.*)",
        "iso",
    ),
    Layout(
        "log4j",
        rf"(?P<ts>{_ISO}) +(?:\[(?P<context>[^\]]*)\] +)?(?P<level>{_LEVEL_WORDS}) +"
        r"(?:\[(?P<thread>[^\]]*)\] +)?(?P<component>[^\s:\[\]]+)(?: +- +|: +| - )"
        r"(?P<message>.*)",
        "iso",
    ),
    Layout(
        "timestamp-level",
        rf"(?P<ts>{_ISO}) +\[?(?P<level>{_LEVEL_WORDS})\]?:? +(?P<message>.*)",
        "iso",
    ),
    Layout(
        "zookeeper",
        rf"(?P<ts>{_ISO}) - (?P<level>{_LEVEL_WORDS}) +\[(?P<context>.*?)\] - (?P<message>.*)",
        "iso",
    ),
    Layout(
        "openstack",
        rf"(?P<ts>{_ISO}) (?P<pid>\d+) (?P<level>{_LEVEL_WORDS}) (?P<component>[^\s\[\]]+) "
        r"(?:(?=\[(?P<request_id>req-[0-9a-f-]+)))?(?P<message>.*)",
        "iso",
    ),
    Layout(
        "spark",
        rf"(?P<ts>\d\d/\d\d/\d\d \d\d:\d\d:\d\d) (?P<level>{_LEVEL_WORDS}) "
        r"(?P<component>[^\s:]+): (?P<message>.*)",
        "slashed",
    ),
    Layout(
        "loghub-hdfs",
        r"(?P<ts>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>[^\s:]+): "
        r"(?P<message>.*)",
        "compact",
    ),
    Layout(
        "syslog-3164",
        r"(?:<(?P<pri>\d{1,3})>)?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) "
        r"(?:(?P<host>[^\s:\[]+) )?(?P<component>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)",
        "syslog",
    ),
    Layout(
        "python-basic",
        r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<component>[^:\s]*):(?P<message>.*)",
        "",
    ),
)
_BY_NAME = {layout.name: layout for layout in LAYOUTS}

# the beginnings of the layouts' lines: a line that starts otherwise continues a record
_START = re.compile(
    rb"<\d{1,3}>|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d |\d{4}-\d\d-\d\d[T ]\d\d:\d\d"
    rb"|\d{6} \d{6} \d|\d\d/\d\d/\d\d \d\d:\d\d:\d\d |\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z]"
    rb"|[^\s\"]+ (?:\S+ )?\S+ \S+ \[\d\d/[A-Z][a-z]{2}/\d{4}:"
    rb"|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):"
)
_SYSLOG_3164 = _BY_NAME["syslog-3164"]
_RESPONSE_KEYS = {"rt", "request_time", "rtime", "upstream_response_time", "urt"}
_MS_KEYS = {"duration_ms", "ms", "response_time_ms"}
# named groups that are columns (as they are); any other group goes to attrs
_COLUMNS = ("host", "component", "user", "context", "message", "request_id", "code")
_COLUMN_ALIASES = {"source": "component", "thread": "context", "msg": "message"}
_MESSAGE_LIMIT = 65_536


def record_start(line: bytes) -> bool:
    """Whether a line begins a record (else it continues the one before: a stack frame)."""
    return _START.match(line) is not None


def match_line(line: str, first: Layout | None = None) -> tuple[Layout, re.Match[str]] | None:
    """The layout a line has (trying `first` before the others) and its match."""
    if first is not None:
        m = first.regex.fullmatch(line)
        if m is not None:
            return first, m
    for layout in LAYOUTS:
        if layout is not first:
            m = layout.regex.fullmatch(line)
            if m is not None:
                return layout, m
    return None


def sniff(lines: list[bytes]) -> float:
    """GENERIC_MAX times the share of record-starting lines that have a known layout (stack-trace
    lines in between do not count), when such records are at least a tenth of the lines."""
    if not lines:
        return 0.0
    starts = [line for line in lines if record_start(line)]
    hits = sum(1 for line in starts if match_line(_decode(line)) is not None)
    if not hits or hits < 0.1 * len(lines):
        return 0.0
    return GENERIC_MAX * hits / len(starts)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _response_ms(rest: str, attrs: dict[str, Any]) -> float | None:
    """An access line's response time, from what follows its user agent."""
    duration = None
    extra = []
    for token in rest.split():
        word = token.strip('"')
        key, sep, value = word.partition("=")
        number = _float(value if sep else word)
        if sep and key in _RESPONSE_KEYS and number is not None:
            duration = number * 1000 if duration is None else duration
        elif sep and key in _MS_KEYS and number is not None:
            duration = number if duration is None else duration
        elif not sep and number is not None and "." in word and duration is None:
            duration = number * 1000
        elif word and word != "-":
            extra.append(word)
    if extra:
        attrs["extra"] = extra
    return duration


def _float(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if 0 <= number < 1e9 else None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 18 else None


def fill_event(groups: dict[str, str | None], event: Row, attrs: dict[str, Any]) -> None:
    """Columns and attrs from a line's named groups (ts and message excepted)."""
    for name, value in groups.items():
        if value is None or value == "" or name in ("ts", "message"):
            continue
        column = _COLUMN_ALIASES.get(name, name)
        if name == "pri":
            pri = int(value)
            event["severity"] = value
            event["level"] = syslog_level(pri % 8)
            attrs["facility"] = pri // 8
        elif name == "level":
            event["severity"] = value
            event["level"] = word_level(value)
        elif name == "request":
            method, _, rest = value.partition(" ")
            target, _, protocol = rest.rpartition(" ") if " " in rest else (rest, "", "")
            if method.isalpha() and method.isupper():
                event["http_method"] = method
                event["http_path"] = url_path(target or rest)
                if protocol:
                    attrs["protocol"] = protocol
            else:
                attrs["request"] = value
        elif name == "status":
            event["http_status"] = _int(value)
        elif name == "bytes":
            event["http_bytes"] = _int(value)
        elif name == "rest":
            duration = _response_ms(value, attrs)
            if duration is not None:
                event["duration_ms"] = duration
        elif name == "duration_ms":
            event["duration_ms"] = _float(value)
        elif name in ("http_status", "http_bytes"):
            event[name] = _int(value)
        elif name in ("http_method", "http_path"):
            event[name] = value
        elif column in _COLUMNS:
            if value != "-" and column not in event:
                event[column] = value
        elif name in ("pid", "tid") and value.isdigit():
            attrs[name] = int(value)
        elif value != "-":
            attrs[name] = value


def _access_level(event: Row) -> None:
    status = event.get("http_status")
    if "level" not in event and status is not None:
        event["level"] = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"


class TextParser:
    """Parses one file's text records, each with the layout it matches."""

    def __init__(self, ctx: FileContext) -> None:
        self.times = TextTimes(ctx.year_hint)
        self.last: Layout | None = None
        self.path = ctx.path
        self._file_time: int | bool | None = False
        self.used: dict[str, int] = {}

    def file_time(self) -> int | None:
        """The time the file or folder name holds (looked up once)."""
        if self._file_time is False:
            self._file_time = path_time_us(self.path)
        return self._file_time  # type: ignore[return-value]

    def __call__(self, record: bytes) -> Parsed | BadLine:
        """One record: its first line has the layout, the rest is its continuation."""
        if b"\x00" in record:
            return BadLine(BadReason.BINARY)
        text = _decode(record)
        first, newline, more = text.partition("\n")
        first = first.removesuffix("\r")
        found = match_line(first, self.last)
        if found is None:
            return BadLine(classify_garbage(record))
        layout, m = found
        self.last = layout
        self.used[layout.name] = self.used.get(layout.name, 0) + 1
        groups = m.groupdict()
        return self.event(groups, layout.time_kind, more if newline else "")

    def event(self, groups: dict[str, str | None], time_kind: str, more: str) -> Parsed | BadLine:
        """The events row of a record's named groups (`more`: its continuation lines)."""
        stamp = groups.get("ts")
        if stamp and stamp != "-":
            ts = getattr(self.times, time_kind or "any")(stamp)
            if ts is None:
                return BadLine(BadReason.BAD_TIMESTAMP)
        else:
            ts = self.file_time()
            if ts is None:
                return BadLine(BadReason.NO_TIMESTAMP)
        event: Row = {"ts": ts}
        attrs: dict[str, Any] = {}
        fill_event(groups, event, attrs)
        _access_level(event)
        message = (groups.get("message") or "").removeprefix("\ufeff").rstrip()
        if more:
            more = more.replace("\r\n", "\n")
            message = f"{message}\n{more}" if message else more
        if message:
            event["message"] = message[:_MESSAGE_LIMIT]
        elif groups.get("request"):
            event["message"] = groups["request"]
        if attrs:
            event["attrs"] = orjson.dumps(attrs).decode()
        return Parsed([(_EVENTS, event)])


def make_parser(ctx: FileContext) -> LineParser:
    """A parser for one text log."""
    return TextParser(ctx)


def splittable(head: list[bytes]) -> bool:
    """RFC 3164 dates have no year: such a file is read in order, by one worker."""
    return not any(_SYSLOG_3164.regex.fullmatch(_decode(line)) for line in head[:200])


def year_hint(head: list[bytes], tail: list[bytes], mtime_year: int) -> int:
    """The year of the first RFC 3164 line: the file's year, or the one before when the
    file's last line is in an earlier month (it crossed New Year)."""
    months = [_month(line) for line in (head[:1] + tail[-1:])]
    if len(months) == 2 and months[0] and months[1] and months[1] < months[0]:
        return mtime_year - 1
    return mtime_year


def _month(line: bytes) -> int | None:
    m = _SYSLOG_3164.regex.fullmatch(_decode(line))
    if m is None:
        return None
    return datetime.strptime(m.group("ts")[:3], "%b").replace(tzinfo=UTC).month


def describe(head: list[bytes], ctx: FileContext) -> dict[str, str]:
    """The layout(s) of a file's first records."""
    parser = TextParser(ctx)
    for line in head[:200]:
        if record_start(line):
            parser(line)
    if not parser.used:
        return {}
    return {"layout": ", ".join(sorted(parser.used, key=lambda n: -parser.used[n]))}


SPEC = FormatSpec(
    name="text",
    priority=Priority.GENERIC,
    sniff=sniff,
    make_parser=make_parser,
    framing=Framing.CONTINUATION,
    record_start=record_start,
    splittable=splittable,
    year_hint=year_hint,
    describe=describe,
)
