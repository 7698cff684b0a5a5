"""Retrieval over `events`: filtered pages newest first, and their aggregations.

`logs` answers one page (keyset pagination: the cursor is the last row's position in the
order time, file_id, file_offset, all descending, so a page never repeats or skips a row
while ingests append) with the exact number of rows the filters select. `aggregate` counts
them by fields, as facets (the top values of several fields in one scan), over time (every
bucket, an empty one as 0) and gives numeric statistics of one field.

Fields are named by the API (`source` is the `component` column, `template` the
`template_id`, `field.NAME` any attrs field, or the column a format mapped it to: see
`filters.field_expr`); identifiers come from `FIELDS` and the formats' own field table only,
attrs paths are bound values, like every filter value.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

import orjson

from loglake.analytics import sql
from loglake.analytics.buckets import histogram_auto_width, histogram_width
from loglake.analytics.filters import field_expr, where
from loglake.analytics.params import FIELD_NAME, parse_zone
from loglake.errors import InputError
from loglake.schema import PARTITION_COLUMN, Stream

# API field -> events column: what can be grouped, faceted and filtered by name
FIELDS = {
    "level": "level",
    "severity": "severity",
    "source": "component",
    "user": '"user"',
    "host": "host",
    "template": "template_id",
    "request_id": "request_id",
    "code": "code",
    "http_method": "http_method",
    "http_path": "http_path",
    "http_status": "http_status",
    "file_id": "file_id",
}
NUMERIC = {"duration_ms": "duration_ms", "http_status": "http_status", "http_bytes": "http_bytes"}
MAX_GROUP_FIELDS = 4
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# No `ts IS NOT NULL` test (it costs a scan of ts): every event has a time, since a record
# without one is a bad line and the writer partitions rows by their UTC day.


def resolve(params: dict[str, Any]) -> dict[str, Any]:
    """`date` (a day in `tz`) turned into the from/to range it means, intersected with them."""
    day = params.get("date")
    if not day:
        return params
    try:
        start_day = dt.date.fromisoformat(day.strip())
    except ValueError:
        raise InputError(f"date: {day!r} is not a day; use YYYY-MM-DD") from None
    zone = parse_zone(params.get("tz"))
    start = dt.datetime.combine(start_day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(start_day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    low = max(filter(None, (params.get("from"), start)))
    high = min(filter(None, (params.get("to"), end)))
    if low >= high:
        raise InputError("date: the day and from/to do not overlap")
    return {**params, "from": low, "to": high}


def _check_regex(params: dict[str, Any]) -> None:
    """A keyword given as a regex must compile in RE2 (DuckDB's engine): a clear 400 otherwise
    (compiled the way search compiles it, quietly)."""
    if params.get("regex") and params.get("keyword"):
        from loglake.analytics.scan import compile_query

        try:
            compile_query(params["keyword"], regex=True, sensitive=True)
        except InputError as exc:
            raise InputError(str(exc).replace("q: ", "keyword: ", 1)) from None


# The cursor ---------------------------------------------------------------------------
def encode_cursor(ts_us: int, file_id: str, file_offset: int) -> str:
    """An opaque cursor: the position of a page's last row."""
    raw = json.dumps([ts_us, file_id, file_offset], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, str, int]:
    """The position a cursor holds; InputError for anything not made by `encode_cursor`."""
    try:
        ts_us, file_id, file_offset = json.loads(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
        if not (
            isinstance(ts_us, int) and isinstance(file_id, str) and isinstance(file_offset, int)
        ):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError("cursor: not a next_cursor given by this API") from None
    return ts_us, file_id, file_offset


def _after(cursor: str) -> tuple[str, tuple[Any, ...]]:
    """The clause selecting rows after the cursor in the order, and its values."""
    ts_us, file_id, file_offset = decode_cursor(cursor)
    ts = _EPOCH + dt.timedelta(microseconds=ts_us)
    clause = (
        f"{PARTITION_COLUMN} <= CAST(? AS DATE) AND (ts < ? OR (ts = ? AND "
        "(file_id < ? OR (file_id = ? AND file_offset < ?))))"
    )
    return clause, (ts.date(), ts, ts, file_id, file_id, file_offset)


# Retrieval --------------------------------------------------------------------------------
def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A page row: its attrs as an object and the link to its raw entry."""
    attrs = row.get("attrs")
    if isinstance(attrs, str):
        with contextlib.suppress(orjson.JSONDecodeError):  # else kept as the text it is
            row["attrs"] = orjson.loads(attrs)
    query = urlencode({"file_id": row["file_id"], "file_offset": row["file_offset"]})
    row["raw_url"] = f"/api/detail?{query}"
    return row


def _first_day(days: dict[dt.date, int], limit: int, cursor_day: dt.date | None) -> dt.date | None:
    """The oldest partition day a page must read: days are whole UTC dates, so the newest
    days holding `limit` rows after the cursor hold the whole page (None: read them all)."""
    held = 0
    for day in sorted((d for d in days if cursor_day is None or d <= cursor_day), reverse=True):
        if cursor_day is None or day < cursor_day:  # the cursor's own day may be used up
            held += days[day]
        if held >= limit:
            return day
    return None


def logs(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the filtered events, newest first, the exact total and the next cursor."""
    params = resolve(params)
    _check_regex(params)
    limit = params["limit"]
    clause, values = where(Stream.EVENTS, params)
    days = _days(cur, clause, values)
    extra: list[str] = []
    extra_values: list[Any] = []
    cursor_day = None
    if params.get("cursor"):
        after, after_values = _after(params["cursor"])
        cursor_day = after_values[0]
        extra.append(after)
        extra_values += after_values
    first_day = _first_day(days, limit, cursor_day)
    if first_day is not None:  # lets DuckDB skip every older partition
        extra.append(f"{PARTITION_COLUMN} >= CAST(? AS DATE)")
        extra_values.append(first_day)
    page_clause, page_values = where(
        Stream.EVENTS, params, " AND ".join(extra), tuple(extra_values)
    )
    rows = sql.fetch(cur, sql.render("logs_page", where=page_clause), [*page_values, limit])
    total = sum(days.values())
    last = rows[-1] if len(rows) == limit else None
    next_cursor = (
        encode_cursor(last["ts_us"], last["file_id"], last["file_offset"]) if last else None
    )
    for row in rows:
        del row["ts_us"]
    return {
        "rows": [_row(r) for r in rows],
        "total": total,
        "next_cursor": next_cursor,
        "limit": limit,
    }


# Aggregations -------------------------------------------------------------------------
def _field(name: str, numeric: bool = False) -> tuple[str, list[Any]]:
    """The SQL expression of an API field (and its bound values), or InputError."""
    name = name.strip()
    if name.startswith("field."):
        key = name.removeprefix("field.")
        if not FIELD_NAME.fullmatch(key):
            raise InputError(f"{name}: a field name is letters, digits, _ @ $ - and . to nest")
        return field_expr(key, numeric)
    table = NUMERIC if numeric else FIELDS
    if name not in table:
        known = ", ".join([*table, "field.NAME"])
        raise InputError(f"{name!r} is not a field{' with numbers' if numeric else ''}: {known}")
    return table[name], []


def _names(raw: str | None, what: str) -> list[str]:
    names = [n.strip() for n in (raw or "").split(",") if n.strip()]
    if len(names) > MAX_GROUP_FIELDS and what == "group_by":
        raise InputError(f"group_by: at most {MAX_GROUP_FIELDS} fields")
    if len(set(names)) != len(names):
        raise InputError(f"{what}: a field is named twice")
    return names


def _groups(cur: Any, names: list[str], clause: str, values: list[Any], limit: int) -> Any:
    keys, key_values = [], []
    for n, name in enumerate(names):
        expr, bound = _field(name)
        keys.append(f"{expr} AS k{n}")
        key_values.extend(bound)
    aliases = ", ".join(f"k{n}" for n in range(len(names)))
    text = sql.render("logs_groups", keys=", ".join(keys), names=aliases, where=clause)
    rows = sql.fetch(cur, text, [*key_values, *values, limit])
    groups = rows[0]["groups"] if rows else 0
    return {
        "fields": names,
        "groups": groups,
        "rows": [
            {**{name: r[f"k{n}"] for n, name in enumerate(names)}, "count": r["count"]}
            for r in rows
        ],
    }


def _facets(cur: Any, names: list[str], clause: str, values: list[Any], limit: int) -> Any:
    keys, key_values = [], []
    for n, name in enumerate(names):
        expr, bound = _field(name)
        keys.append(f"CAST({expr} AS VARCHAR) AS k{n}")
        key_values.extend(bound)
    aliases = ", ".join(f"k{n}" for n in range(len(names)))
    sets = ", ".join(f"(k{n})" for n in range(len(names)))
    text = sql.render("logs_facets", keys=", ".join(keys), names=aliases, sets=sets, where=clause)
    rows = sql.fetch(cur, text, [*key_values, *values, limit])
    # grouping_id: one bit per key, set where the key is not grouped; most significant first
    full = (1 << len(names)) - 1
    by_id = {full ^ (1 << (len(names) - 1 - n)): name for n, name in enumerate(names)}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in rows:
        out[by_id[r["field"]]].append({"value": r["value"], "count": r["count"]})
    return out


def _histogram(cur: Any, params: dict[str, Any], clause: str, values: list[Any]) -> dict[str, Any]:
    start, end = params.get("from"), params.get("to")
    if start is None or end is None:  # the data's own span fills in an open end
        span = _span(cur, clause, values)
        if span.get("first_us") is None:
            return {"bucket_seconds": None, "buckets": []}
        first = _us(start) if start else span["first_us"]
        last = _us(end) - 1 if end else span["last_us"]
    else:
        first, last = _us(start), _us(end) - 1
    bucket = params["bucket"]
    width = histogram_auto_width(last - first) if bucket == "auto" else histogram_width(bucket)
    if (last - first) // width > 10_000:
        raise InputError(f"bucket: {bucket} gives more than 10,000 buckets here; use a wider one")
    low, high = (first // width) * width, (last // width) * width
    text = sql.render("logs_histogram", where=clause)
    rows = sql.fetch(cur, text, [low, high, width, width, width, *values])
    return {
        "bucket_seconds": width / 1e6,
        "buckets": [{"t": sql.iso(r["bucket_us"]), "count": r["count"]} for r in rows],
    }


def _days(cur: Any, clause: str, values: list[Any]) -> dict[dt.date, int]:
    """Events the filters select per partition day (UTC)."""
    text = sql.render("logs_days", partition=PARTITION_COLUMN, where=clause)
    return dict(cur.execute(text, values).fetchall())


def _span(cur: Any, clause: str, values: list[Any]) -> dict[str, Any]:
    """The first and last time selected, reading only the first and the last day."""
    days = _days(cur, clause, values)
    if not days:
        return {}
    first, last = min(days), max(days)
    text = sql.render(
        "logs_span", partition=PARTITION_COLUMN, where=clause, joiner="AND" if clause else "WHERE"
    )
    return sql.fetch_one(cur, text, [first, last, *values, first, last])


def _us(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def _stats(cur: Any, name: str, clause: str, values: list[Any]) -> dict[str, Any]:
    expr, bound = _field(name, numeric=True)
    text = sql.render("logs_stats", value=expr, where=clause)
    return {"field": name, **sql.fetch_one(cur, text, [*bound, *values])}


def aggregate(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Counts of the filtered events by fields, facets, a time histogram, numeric statistics."""
    params = resolve(params)
    _check_regex(params)
    clause, values = where(Stream.EVENTS, params)
    group_by, facets = (
        _names(params.get("group_by"), "group_by"),
        _names(params.get("facets"), "facets"),
    )
    total = sql.fetch_one(cur, sql.render("count", stream="events", where=clause), values)["total"]
    limit = params["limit"]
    return {
        "total": total,
        "groups": _groups(cur, group_by, clause, values, limit) if group_by else None,
        "facets": _facets(cur, facets, clause, values, limit) if facets else None,
        "histogram": _histogram(cur, params, clause, values) if params["histogram"] else None,
        "stats": _stats(cur, params["stats"], clause, values) if params.get("stats") else None,
    }
