"""What a rule reads: its filters (the API's own parameters of the stream it reads, so a
rule filters exactly as `/api/logs` or the slow-query questions do) and the fields it
groups by or computes over (`/api/logs` field names, `field.NAME`, or a stream column)."""

from __future__ import annotations

from typing import Any

from loglake.analytics import params as query_params
from loglake.errors import InputError
from loglake.schema import Stream

# the filters a rule may use, per stream: the API's own parameters (time comes from the rule)
_NOT_FILTERS = {"from", "to", "date", "tz", "cursor"}
FILTERS: dict[Stream, dict[str, query_params.Param]] = {
    Stream.EVENTS: {p.name: p for p in query_params.LOG_FILTERS if p.name not in _NOT_FILTERS},
    Stream.SLOW_QUERIES: {
        p.name: p for p in query_params.SLOW_FILTERS if p.name not in _NOT_FILTERS
    },
}
STREAMS = tuple(FILTERS)


def parse_filters(stream: Stream, raw: dict[str, Any]) -> dict[str, Any]:
    """A rule's filters validated by the API's own parameters of `stream`."""
    known = FILTERS[stream]
    out: dict[str, Any] = {}
    fields: list[tuple[str, str]] = []
    for key in sorted(raw):
        value = raw[key]
        if value is None or isinstance(value, dict | list):
            raise InputError(f"filters.{key}: give one value (text, number or true/false)")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if key.startswith("field.") and "field" in known:
            name = key.removeprefix("field.")
            if not query_params.FIELD_NAME.fullmatch(name):
                raise InputError(f"filters.{key}: a field name is letters, digits, _ @ $ - and .")
            fields.append(
                (name, query_params.parse_value(query_params.Param(key, "str", ""), text))
            )
        elif key in known and known[key].kind != "fields":
            out[key] = query_params.parse_value(known[key], text)
        else:
            names = ", ".join([*(k for k in known if k != "field"), "field.NAME"])
            raise InputError(f"filters.{key}: not a filter of {stream.value}; use {names}")
    if fields:
        out["field"] = tuple(fields)
    return out


def field_sql(stream: Stream, name: str, numeric: bool = False) -> tuple[str, list[Any]]:
    """The SQL of a field a rule groups by or reads (and its bound values): an `/api/logs`
    field name, `field.NAME`, or a column of the stream; InputError for anything else."""
    from loglake.analytics.filters import field_expr
    from loglake.analytics.logs import FIELDS, NUMERIC
    from loglake.schema import column_names

    if name.startswith("field.") and stream == Stream.EVENTS:
        key = name.removeprefix("field.")
        if not query_params.FIELD_NAME.fullmatch(key):
            raise InputError(f"{name}: a field name is letters, digits, _ @ $ - and . to nest")
        return field_expr(key, numeric)
    table = (NUMERIC if numeric else FIELDS) if stream == Stream.EVENTS else {}
    if name in table:
        return table[name], []
    if name in column_names(stream):
        quoted = f'"{name}"'  # a whitelisted identifier
        return (f"TRY_CAST({quoted} AS DOUBLE)" if numeric else quoted), []
    known = ", ".join([*table, "field.NAME" if stream == Stream.EVENTS else "a column"])
    raise InputError(
        f"{name!r} is not a field of {stream.value}{' with numbers' if numeric else ''}: {known}"
    )
