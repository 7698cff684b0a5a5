"""Every question's parameters, declared once: validation, defaults and the OpenAPI document.

The API, the CLI and the web pages hand raw strings to `parse_params`; service functions
receive only validated values (datetimes in UTC, numbers in range, identifiers from a
closed set). Anything else is an `InputError`, which the API turns into a 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loglake.errors import InputError

MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
MAX_TEXT = 500


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, kind, help text, and limits."""

    name: str
    kind: str  # str | int | float | datetime | bool | enum
    help: str
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _parse_datetime(name: str, raw: str) -> datetime:
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
        value = value.replace(tzinfo=UTC)
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


def parse_value(p: Param, raw: str) -> Any:
    """One raw string as the parameter's kind, or InputError."""
    if "\x00" in raw:
        raise InputError(f"{p.name}: NUL characters are not allowed")
    if p.kind == "datetime":
        return _parse_datetime(p.name, raw)
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
HIDE_SYSTEM = Param("hide_system", "bool", "leave out the admin, local and config databases", False)
SLOW_FILTERS = (
    FROM, TO, NAMESPACE, DB, COLLECTION, OP, PLAN, APP, CLIENT, USER,
    MIN_MS, MAX_MS, TEXT, SHAPE_HASH, QUERY_HASH, HIDE_SYSTEM,
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


@dataclass(frozen=True)
class Question:
    """A service function's public face: its parameters and a one-line description."""

    summary: str
    params: tuple[Param, ...]


QUESTIONS: dict[str, Question] = {
    "summary": Question("Totals, time range, percentiles, top plans and namespaces", SLOW_FILTERS),
    "patterns": Question(
        "Slow queries grouped into patterns with count, time and examined statistics",
        (
            *SLOW_FILTERS,
            GROUP_BY,
            Param("sort", "enum", "sort column", "total_ms", PATTERN_SORTS),
            ORDER,
            limit(50),
        ),
    ),
    "trend": Question(
        "Patterns over time, plus a bounded sample of executions for a scatter plot",
        (
            *SLOW_FILTERS,
            GROUP_BY,
            BUCKET,
            Param("top", "int", "patterns drawn as series", 10, minimum=1, maximum=50),
            Param("sample", "int", "executions in the scatter", 2000, minimum=0, maximum=20000),
        ),
    ),
    "slow_queries": Question(
        "Slow operations, filtered, sorted and paginated",
        (
            *SLOW_FILTERS,
            Param("sort", "enum", "sort column", "ts", SLOW_SORTS),
            ORDER,
            limit(50),
            OFFSET,
        ),
    ),
    "detail": Question(
        "The original log line of a row and its parsed record",
        (
            Param("file_id", "str", "file_id of the row"),
            Param("file_offset", "int", "byte offset of the line", minimum=0, maximum=2**62),
        ),
    ),
    "workload": Question("Share of total time per database, collection and op", SLOW_FILTERS),
    "heatmap": Question("Slow operations per hour of day and calendar day (UTC)", SLOW_FILTERS),
    "auth_summary": Question(
        "Authentication successes and failures by user, IP, mechanism and time",
        (FROM, TO, USER, CLIENT, MECHANISM, RESULT, BUCKET),
    ),
    "auth_logs": Question(
        "Authentication attempts, newest first, paginated",
        (FROM, TO, USER, CLIENT, MECHANISM, RESULT, limit(50), OFFSET),
    ),
    "connections": Question(
        "Connections opened and closed over time, peak open, hosts, drivers, apps, sessions",
        (FROM, TO, CLIENT, BUCKET),
    ),
    "index_suggestions": Question(
        "Indexes that would help the slow patterns (ESR rule), with rationale and evidence",
        (*SLOW_FILTERS, limit(20, 500)),
    ),
    "analysis": Question(
        "Slow-query patterns with heuristic findings (collection scans, in-memory sorts, ...)",
        (*SLOW_FILTERS, limit(50, 1000)),
    ),
    "families": Question(
        "Families of related query shapes (same namespace and field set, or similar tokens)",
        (
            *SLOW_FILTERS,
            Param(
                "similarity",
                "float",
                "Jaccard similarity of shape tokens that merges families (1 = same fields only)",
                0.7,
                minimum=0.3,
                maximum=1,
            ),
            limit(50, 1000),
        ),
    ),
    "anomalies": Question(
        "Slow executions and count or latency spikes per pattern (median and MAD)",
        (
            *SLOW_FILTERS,
            BUCKET,
            Param(
                "threshold",
                "float",
                "modified z-score above which a value is anomalous",
                3.5,
                minimum=1,
                maximum=100,
            ),
            Param(
                "min_count",
                "int",
                "executions a pattern needs for a baseline (and a count spike)",
                5,
                minimum=3,
                maximum=1_000_000,
            ),
            Param(
                "min_buckets",
                "int",
                "buckets a pattern needs for a bucket baseline",
                5,
                minimum=3,
                maximum=10_000,
            ),
            Param(
                "min_ratio",
                "float",
                "an anomaly is at least this many times the median",
                1.5,
                minimum=1,
                maximum=1000,
            ),
            limit(50, 1000),
        ),
    ),
    "search": Question(
        "Keyword or regular-expression search over every logged line",
        (
            SEARCH_TEXT,
            REGEX,
            CASE,
            FROM,
            TO,
            LEVEL,
            COMPONENT,
            Param("file_id", "str", "search one source file only"),
            limit(50),
            OFFSET,
        ),
    ),
}


def parse_params(question: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validated parameters of a question, defaults filled in; unknown names are ignored."""
    spec = QUESTIONS[question]
    out: dict[str, Any] = {}
    for p in spec.params:
        raw = args.get(p.name)
        if raw is None or raw == "":
            out[p.name] = p.default
        elif isinstance(raw, str):
            out[p.name] = parse_value(p, raw)
        else:
            out[p.name] = parse_value(p, str(raw))
    if out.get("from") and out.get("to") and out["from"] >= out["to"]:
        raise InputError("from must be earlier than to")
    low, high = out.get("min_ms"), out.get("max_ms")
    if low is not None and high is not None and low > high:
        raise InputError("min_ms must not exceed max_ms")
    return out
