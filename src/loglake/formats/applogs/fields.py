"""Which field of an application's JSON record fills which `events` column.

Fields are found by their common names, without configuration: the names pino, bunyan,
NestJS, winston, zap, logrus, structlog, Serilog, Elastic Common Schema (ECS) and
OpenTelemetry use. A dotted name is looked up flat (`"log.level": …`, as ECS writes it) and
nested (`"req": {"id": …}`), or any mix. `--map ts=when,user=actor.login` (or a mapping
file) puts a field first for its column (`FieldMap`). Every field that fills no column is
kept in `attrs`, nested objects included.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from loglake.errors import ConfigError
from loglake.formats.levels import app_level, otel_level, syslog_level
from loglake.formats.timestamps import IsoParser, epoch_us

Record = dict[str, Any]

# column -> the field names that fill it, the likeliest first
CANDIDATES: dict[str, tuple[str, ...]] = {
    "ts": (
        "@timestamp", "timestamp", "ts", "time", "date", "datetime", "timeUnixNano",
        "observedTimeUnixNano", "Timestamp", "created_at", "createdAt", "eventTime",
        "event_time", "logged_at", "asctime",
    ),
    "level": (
        "level", "log.level", "severity", "levelname", "severityText", "SeverityText",
        "severityNumber", "SeverityNumber", "lvl", "loglevel", "log_level", "@level",
    ),
    "message": (
        "msg", "message", "event", "body", "Body", "@message", "text", "log", "short_message",
    ),
    "user": (
        "user_id", "userId", "authUserId", "user.id", "uid", "usr.id", "enduser.id", "user",
        "username", "user.name",
    ),
    "component": (
        "logger", "log.logger", "logger_name", "loggerName", "context", "component", "service",
        "service.name", "name", "module",
    ),
    "host": ("hostname", "host", "host.name", "host.hostname"),
    "request_id": (
        "req.id", "request_id", "requestId", "reqId", "request.id", "http.request.id",
        "trace_id", "traceId", "trace.id", "correlation_id", "correlationId", "x_request_id",
    ),
    "context": ("thread", "thread_name", "threadName", "process.thread.name"),
    "code": ("code", "error.code", "err.code", "errorCode", "error_code"),
    "duration_ms": (
        "duration_ms", "durationMs", "responseTime", "response_time", "response_time_ms",
        "elapsed_ms", "latency_ms", "processingTimeMs", "took", "elapsed", "latency",
        "duration", "request_time", "event.duration",
    ),
    "http_method": (
        "req.method", "method", "http.method", "http.request.method", "request.method",
        "httpRequest.requestMethod", "http_method",
    ),
    "http_path": (
        "req.url", "url", "path", "req.path", "http.url", "http.target", "url.path",
        "url.original", "request.url", "request.path", "httpRequest.requestUrl", "uri",
        "http_path",
    ),
    "http_status": (
        "res.statusCode", "statusCode", "status_code", "status", "http.status_code",
        "http.response.status_code", "response.status", "httpRequest.status", "http_status",
    ),
    "http_bytes": (
        "res.bytes", "bytes", "http.response.body.bytes", "http.response.bytes",
        "httpRequest.responseSize", "bytes_sent", "body_bytes_sent", "response.size",
        "content_length", "http_bytes",
    ),
}  # fmt: skip

ALIASES = {"source": "component", "time": "ts", "timestamp": "ts", "msg": "message"}
# fields whose numbers are not pino's or milliseconds
_OTEL_LEVELS = frozenset({"severityNumber", "SeverityNumber"})
_DURATION_SCALE = {"event.duration": 1e-6, "request_time": 1000.0}  # ns, seconds -> ms
_MESSAGE_LIMIT = 65_536


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Fields a user named for columns (`--map`): each is asked first for its column."""

    pairs: tuple[tuple[str, str], ...] = ()

    def order(self, column: str) -> tuple[str, ...]:
        """The field names to try for a column, the user's first."""
        mine = tuple(path for col, path in self.pairs if col == column)
        return mine + tuple(p for p in CANDIDATES[column] if p not in mine)


def parse_map(text: str) -> tuple[tuple[str, str], ...]:
    """`ts=when,user=actor.login` (or the path of a JSON/YAML file of the same pairs) ->
    (column, field) pairs; a ConfigError names a column that does not exist."""
    text = text.strip()
    if not text:
        return ()
    if "=" not in text and Path(text).is_file():
        return _pairs(_mapping_file(Path(text)).items(), text)
    items = []
    for part in text.split(","):
        column, sep, path = part.partition("=")
        if not sep or not path.strip():
            raise ConfigError(f"--map: expected COLUMN=FIELD pairs, got {part.strip()!r}")
        items.append((column.strip(), path.strip()))
    return _pairs(items, "--map")


def _mapping_file(path: Path) -> dict[str, Any]:
    import yaml  # a YAML reader reads JSON too

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable mapping file ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a mapping file holds COLUMN: FIELD pairs")
    return data


def _pairs(items: Iterable[tuple[Any, Any]], where: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for column, path in items:
        name = ALIASES.get(str(column), str(column))
        if name not in CANDIDATES:
            known = ", ".join(sorted({*CANDIDATES, *ALIASES}))
            raise ConfigError(f"{where}: unknown column {column!r}; choose one of {known}")
        pairs.append((name, str(path)))
    return tuple(pairs)


def lookup(record: Record, path: str) -> tuple[Any, tuple[str, ...] | None]:
    """A dotted field's value and the keys that reach it (flat, nested or mixed)."""
    if path in record:
        return record[path], (path,)
    head, dot, rest = path.partition(".")
    while dot:
        inner = record.get(head)
        if isinstance(inner, dict):
            value, keys = lookup(inner, rest)
            if keys is not None:
                return value, (head, *keys)
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None, None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def _duration(value: Any, path: str) -> float | None:
    if isinstance(value, str):  # "12.5", "12.5ms", "0.25s" (Google Cloud's latency)
        text = value.strip()
        scale = 1.0
        if text.endswith("ms"):
            text = text[:-2]
        elif text.endswith("s"):
            text, scale = text[:-1], 1000.0
        try:
            number = float(text) * scale
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) * _DURATION_SCALE.get(path, 1.0)
    else:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def url_path(value: str) -> str:
    """A URL without its scheme and host: `https://h:8/a?b` -> `/a?b`."""
    if "://" in value[:12]:
        rest = value.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return value


class TimeReader:
    """A record's time field to UTC microseconds: ISO-8601 text or epoch s/ms/µs/ns."""

    def __init__(self) -> None:
        self._iso = IsoParser()

    def __call__(self, value: Any) -> int | None:
        """Microseconds since the epoch, or None when the value is not a time."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return epoch_us(value)
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return epoch_us(int(text))
            if text.endswith((" UTC", " GMT")):  # PostgreSQL's jsonlog, Go's default layout
                text = text[:-4] + "Z"
            return self._iso(text) if len(text) >= 10 else None
        return None


def _level(value: Any, path: str) -> str | None:
    if path in _OTEL_LEVELS:
        number = _int(value, 1, 24)
        return otel_level(number) if number is not None else None
    if type(value) is int and 0 <= value < 8:  # GELF and syslog-style JSON: 0 emerg .. 7
        return syslog_level(value)
    return app_level(value)


def _path_text(value: Any, _path: str) -> str | None:
    text = _text(value)
    return url_path(text) if text else None


def _method(value: Any, _path: str) -> str | None:
    text = _text(value)
    return text.upper() if text and text.isalpha() and len(text) <= 10 else None


def _message(value: Any, _path: str) -> str | None:
    text = _text(value)
    if text and text[-1] in "\r\n":  # Docker's json-file driver keeps the line ending
        text = text.rstrip("\r\n") or None
    return text[:_MESSAGE_LIMIT] if text and len(text) > _MESSAGE_LIMIT else text


def _plain_text(value: Any, _path: str) -> str | None:
    return _text(value)


# column -> (field value, field name) -> the column's value, or None (`ts`: TimeReader)
_CONVERTERS: dict[str, Callable[[Any, str], Any]] = {
    "level": _level,
    "duration_ms": _duration,
    "http_status": lambda value, _path: _int(value, 100, 599),
    "http_bytes": lambda value, _path: _int(value, 0, 2**62),
    "http_path": _path_text,
    "http_method": _method,
    "message": _message,
}


def _heads(path: str) -> frozenset[str]:
    """The top-level keys through which a dotted name can be reached (`a`, `a.b`, `a.b.c`)."""
    parts = path.split(".")
    return frozenset(".".join(parts[: n + 1]) for n in range(len(parts)))


_PLANS_LIMIT = 10_000


class FieldReader:
    """Fills the `events` columns of one file's records (the order of names per column
    is fixed once per file) and says which field filled which column.

    Records with the same keys share a plan: per column, only the names those keys can
    reach are looked up (a file's records mostly have a few shapes)."""

    def __init__(self, fields: FieldMap, track: bool = False) -> None:
        self._track = track  # count which field filled each column (for `detected`)
        self._orders = [(column, fields.order(column)) for column in CANDIDATES]
        self._heads = {path: _heads(path) for _c, order in self._orders for path in order}
        self._plans: dict[tuple[str, ...], list[tuple[str, tuple[tuple[str, bool], ...]]]] = {}
        self._time = TimeReader()
        self._converters = {c: _CONVERTERS.get(c, _plain_text) for c in CANDIDATES}
        self.used: Counter[tuple[str, str]] = Counter()

    def _plan(self, record: Record) -> list[tuple[str, tuple[tuple[str, bool], ...]]]:
        signature = tuple(record)
        plan = self._plans.get(signature)
        if plan is None:
            keys = set(signature)
            heads = self._heads
            plan = []
            for column, order in self._orders:
                reachable = tuple((p, p in keys) for p in order if not keys.isdisjoint(heads[p]))
                if reachable:
                    plan.append((column, reachable))
            if len(self._plans) > _PLANS_LIMIT:
                self._plans.clear()
            self._plans[signature] = plan
        return plan

    def read(self, record: Record) -> tuple[dict[str, Any], bool]:
        """The event columns of a record (attrs: the fields left) and whether it had a
        time field at all (a time field that does not read leaves `ts` None)."""
        event: dict[str, Any] = {}
        top: set[str] = set()  # top-level fields that filled a column
        nested: list[tuple[str, ...]] = []  # and the dotted ones inside objects
        had_time = False
        used = self.used if self._track else None
        converters = self._converters
        for column, order in self._plan(record):
            for path, flat in order:
                if flat:
                    value, keys = record[path], None
                else:
                    value, keys = lookup(record, path)
                    if keys is None:
                        continue
                if value is None or isinstance(value, dict | list):
                    continue
                if column == "ts":
                    had_time = True
                    converted = self._time(value)
                else:
                    converted = converters[column](value, path)
                    if converted is None:
                        continue
                event[column] = converted
                if column == "level":
                    event["severity"] = _text(value)
                if keys is None or len(keys) == 1:
                    top.add(path if keys is None else keys[0])
                else:
                    nested.append(keys)
                if used is not None:
                    used[(column, path)] += 1
                break
        event["attrs"] = _attrs(record, top, nested)
        return event, had_time

    def detected(self) -> dict[str, str]:
        """column -> the field that filled it most often so far."""
        best: dict[str, tuple[int, str]] = {}
        for (column, path), count in self.used.items():
            if count > best.get(column, (0, ""))[0]:
                best[column] = (count, path)
        return {column: best[column][1] for column in CANDIDATES if column in best}


def _attrs(record: Record, top: set[str], nested: list[tuple[str, ...]]) -> str | None:
    """The record without the fields that filled columns, as JSON (None when empty)."""
    rest: Record = {k: v for k, v in record.items() if k not in top} if top else dict(record)
    for keys in nested:
        _remove(rest, keys)
    if not rest:
        return None
    return orjson.dumps(rest, default=str).decode()


def _remove(doc: Record, keys: tuple[str, ...]) -> None:
    if len(keys) == 1:
        doc.pop(keys[0], None)
        return
    inner = doc.get(keys[0])
    if not isinstance(inner, dict):
        return
    inner = dict(inner)  # a copy: the record's own objects stay whole
    _remove(inner, keys[1:])
    if inner:
        doc[keys[0]] = inner
    else:
        doc.pop(keys[0], None)
