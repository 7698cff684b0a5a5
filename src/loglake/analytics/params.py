"""Query parameters: their kinds, limits and validation, and the ones questions share.

A question lists its parameters in its registry entry (`registry.py`). The API, the CLI
and the web pages hand raw strings to `parse_params`; implementations receive only
validated values (datetimes in UTC, numbers in range, identifiers from a closed set).
Anything else is an `InputError`, which the API turns into a 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loglake.analytics.filters import ENGINES
from loglake.analytics.registry import QUESTIONS
from loglake.errors import InputError
from loglake.formats.levels import LEVELS

MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
MAX_TEXT = 500
# an attrs field a `fields` parameter names: `field.status=200`, `field.user.id=42`
FIELD_NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_@$-]*(\.[A-Za-z_@][A-Za-z0-9_@$-]*)*")


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, kind, help text, and limits."""

    name: str
    kind: str  # str | int | float | datetime | bool | enum | fields (NAME.key=value)
    help: str
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False


def parse_zone(raw: str | None) -> tzinfo:
    """An IANA time zone (Europe/Paris) or UTC when none is given; InputError otherwise."""
    if not raw or raw.strip().upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"tz: {raw!r} is not a time zone; use a name such as Europe/Paris"
        ) from None


def _parse_datetime(name: str, raw: str, zone: tzinfo = UTC) -> datetime:
    text = raw.strip()
    if text.isdigit() and len(text) >= 10:  # epoch seconds or milliseconds
        seconds = int(text) / (1000 if len(text) > 11 else 1)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"{name}: {raw!r} is out of range") from None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{name}: {raw!r} is not a date; use ISO 8601 such as 2024-03-18 or "
            "2024-03-18T10:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+00:01 is before year 1 in UTC
        raise InputError(f"{name}: {raw!r} is out of range") from None


def _parse_number(p: Param, raw: str) -> float:
    try:
        value = int(raw) if p.kind == "int" else float(raw)
    except ValueError:
        raise InputError(
            f"{p.name}: expected a {'whole ' if p.kind == 'int' else ''}number"
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{p.name}: expected a finite number")
    if p.minimum is not None and value < p.minimum:
        raise InputError(f"{p.name}: must be at least {p.minimum:g}")
    if p.maximum is not None and value > p.maximum:
        raise InputError(f"{p.name}: must be at most {p.maximum:g}")
    return value


def parse_value(p: Param, raw: str, zone: tzinfo = UTC) -> Any:
    """One raw string as the parameter's kind (a naive time in `zone`), or InputError."""
    if "\x00" in raw:
        raise InputError(f"{p.name}: NUL characters are not allowed")
    if p.kind == "datetime":
        return _parse_datetime(p.name, raw, zone)
    if p.kind in ("int", "float"):
        return _parse_number(p, raw)
    if p.kind == "bool":
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off", ""):
            return False
        raise InputError(f"{p.name}: expected true or false")
    if p.kind == "enum":
        if raw not in p.choices:
            raise InputError(f"{p.name}: {raw!r} is not one of {', '.join(p.choices)}")
        return raw
    if len(raw) > MAX_TEXT:
        raise InputError(f"{p.name}: longer than {MAX_TEXT} characters")
    return raw


# Filters over slow queries -------------------------------------------------------------
FROM = Param("from", "datetime", "start of the time range (inclusive), ISO 8601; naive = UTC")
TO = Param("to", "datetime", "end of the time range (exclusive), ISO 8601; naive = UTC")
NAMESPACE = Param("namespace", "str", "exact namespace, e.g. shop.orders")
DB = Param("db", "str", "exact database name")
COLLECTION = Param("collection", "str", "exact collection (or table) name")
OP = Param("op", "str", "operation: find, aggregate, update, ...")
PLAN = Param("plan", "str", "plan kind: COLLSCAN, IXSCAN, IDHACK, ...")
APP = Param("app", "str", "client application name")
CLIENT = Param("client", "str", "client IP address")
USER = Param("user", "str", "user name")
MIN_MS = Param("min_ms", "float", "minimum duration in ms", minimum=0)
MAX_MS = Param("max_ms", "float", "maximum duration in ms", minimum=0)
TEXT = Param("q", "str", "text contained in the shape, namespace, plan or app (any case)")
SHAPE_HASH = Param("shape_hash", "str", "one query shape (shape_hash from /api/patterns)")
QUERY_HASH = Param("query_hash", "str", "queryHash as logged")
HIDE_SYSTEM = Param(
    "hide_system", "bool", "leave out system databases (MongoDB: admin, local, config)", False
)
ENGINE = Param("engine", "enum", "one database engine's rows only", None, ENGINES)
SLOW_FILTERS = (
    FROM, TO, NAMESPACE, DB, COLLECTION, OP, PLAN, APP, CLIENT, USER,
    MIN_MS, MAX_MS, TEXT, SHAPE_HASH, QUERY_HASH, HIDE_SYSTEM, ENGINE,
)  # fmt: skip

ORDER = Param("order", "enum", "sort direction", "desc", ("asc", "desc"))
OFFSET = Param("offset", "int", "rows to skip (pagination)", 0, minimum=0, maximum=MAX_OFFSET)


def limit(default: int, maximum: int = MAX_LIMIT) -> Param:
    """A `limit` parameter with its own default."""
    return Param("limit", "int", "rows to return", default, minimum=1, maximum=maximum)


GROUP_KEYS = ("shape", "query_hash", "namespace", "plan", "app")
GROUP_BY = Param("group_by", "enum", "what a pattern is", "shape", GROUP_KEYS)
PATTERN_SORTS = (
    "total_ms", "count", "avg_ms", "max_ms", "p95_ms", "docs_examined", "keys_examined",
    "nreturned", "last_ts", "first_ts", "key",
)  # fmt: skip
SLOW_SORTS = (
    "ts", "duration_ms", "docs_examined", "keys_examined", "nreturned", "reslen",
    "num_yields", "namespace", "op", "plan", "app_name", "client_ip",
)  # fmt: skip
BUCKETS = ("auto", "1m", "5m", "15m", "1h", "6h", "1d")
BUCKET = Param("bucket", "enum", "time bucket of a series", "auto", BUCKETS)

# Filters over the other streams ----------------------------------------------------------
RESULT = Param("result", "enum", "authentication result", None, ("success", "failure"))
MECHANISM = Param("mechanism", "str", "authentication mechanism, e.g. SCRAM-SHA-256")
LEVEL = Param("level", "str", "severity: I, W, E, F, D1..D5 (MongoDB) or a level name")
COMPONENT = Param("component", "str", "component, e.g. COMMAND, NETWORK, ACCESS")
SEARCH_TEXT = Param("q", "str", "keyword, or a regular expression with regex=1")
REGEX = Param("regex", "bool", "treat q as a regular expression (RE2 syntax, linear time)", False)
CASE = Param(
    "case",
    "enum",
    "smart: case-insensitive unless q has an upper-case letter",
    "smart",
    ("smart", "sensitive", "insensitive"),
)


# Retrieval over events (`/api/logs`, `/api/logs/aggregate`) ----------------------------------
DATE = Param("date", "str", "one calendar day, YYYY-MM-DD, in the time zone tz")
TZ = Param("tz", "str", "time zone of naive from/to and of date (IANA name)", "UTC")
MIN_LEVEL = Param("min_level", "enum", "this level or a more severe one", None, LEVELS)
LOG_LEVEL = Param("level", "str", "normalized level (ERROR, any case) or the level as logged")
KEYWORD = Param("keyword", "str", "text contained in the message (any case); RE2 with regex=1")
KEYWORD_REGEX = Param("regex", "bool", "treat keyword as an RE2 regular expression", False)
SOURCE = Param("source", "str", "source: logger, service or component")
HOST = Param("host", "str", "host that wrote the record")
TEMPLATE = Param("template", "str", "message template id (template_id)")
REQUEST_ID = Param("request_id", "str", "request or trace id")
TAG = Param("tag", "str", "records whose attrs has a tags array holding this value")
FIELD = Param("field", "fields", "field.NAME=value: any attrs field equals value (. nests)")
CURSOR = Param("cursor", "str", "next_cursor of the previous page")
LOG_FILTERS = (
    FROM, TO, DATE, TZ, USER, LOG_LEVEL, MIN_LEVEL, KEYWORD, KEYWORD_REGEX, SOURCE, HOST,
    TEMPLATE, REQUEST_ID, TAG, FIELD,
)  # fmt: skip


def _parse_fields(p: Param, args: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """`NAME.key=value` arguments of a `fields` parameter NAME, as sorted (key, value) pairs."""
    prefix = p.name + "."
    found: dict[str, str] = {}
    for key in sorted(k for k in args if isinstance(k, str) and k.startswith(prefix)):
        name, raw = key[len(prefix) :], args.get(key)
        if not FIELD_NAME.fullmatch(name):
            raise InputError(f"{key}: a field name is letters, digits, _ @ $ - and . for nesting")
        if raw is None or raw == "":
            continue
        found[name] = parse_value(Param(key, "str", p.help), str(raw))
    if len(found) > 20:
        raise InputError(f"{p.name}: at most 20 fields")
    return tuple(found.items())


def parse_params(question: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validated parameters of a registered question, defaults filled in; unknown names ignored."""
    spec = QUESTIONS[question].params
    out: dict[str, Any] = {}
    zone = parse_zone(args.get("tz")) if any(p.name == "tz" for p in spec) else UTC
    for p in spec:
        raw = args.get(p.name)
        if p.kind == "fields":
            out[p.name] = _parse_fields(p, args)
        elif raw is None or raw == "":
            out[p.name] = p.default
        else:
            out[p.name] = parse_value(p, raw if isinstance(raw, str) else str(raw), zone)
    missing = [p.name for p in spec if p.required and out[p.name] is None]
    if missing:
        raise InputError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    if out.get("from") and out.get("to") and out["from"] >= out["to"]:
        raise InputError("from must be earlier than to")
    low, high = out.get("min_ms"), out.get("max_ms")
    if low is not None and high is not None and low > high:
        raise InputError("min_ms must not exceed max_ms")
    return out
