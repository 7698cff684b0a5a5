"""Validated filter values -> a WHERE clause of constant SQL with bound parameters.

Each filter names its column and comparison here, once, for both engines: this module
turns the table into SQL fragments, `polars_lake.where` into Polars expressions. Only
filters whose column exists in the stream being asked are applied. Values are never
spliced into SQL text.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from loglake.formats.levels import LEVELS
from loglake.schema import PARTITION_COLUMN, Stream, column_names

# parameter -> (column, comparison): the one filter table of both engines
_COMPARE: dict[str, tuple[str, str]] = {
    "from": ("ts", "ge"),
    "to": ("ts", "lt"),
    "namespace": ("namespace", "eq"),
    "db": ("db", "eq"),
    "collection": ("collection", "eq"),
    "op": ("op", "eq"),
    "plan": ("plan", "eq"),
    "app": ("app_name", "eq"),
    "client": ("client_ip", "eq"),
    "user": ("user", "eq"),
    "min_ms": ("duration_ms", "ge"),
    "max_ms": ("duration_ms", "le"),
    "shape_hash": ("shape_hash", "eq"),
    "query_hash": ("query_hash", "eq"),
    "result": ("result", "eq"),
    "mechanism": ("mechanism", "eq"),
    "level": ("level", "level"),
    "component": ("component", "trim_eq"),
    "file_id": ("file_id", "eq"),
    # retrieval (`/api/logs`): events' own fields
    "min_level": ("level", "at_least"),
    "source": ("component", "trim_eq"),
    "host": ("host", "eq"),
    "template": ("template_id", "eq"),
    "request_id": ("request_id", "eq"),
    "tag": ("attrs", "has_tag"),
    "engine": ("engine", "eq"),
    # interactions (`/api/interactions`): their own fields
    "subject": ("subject", "eq"),
    "outcome": ("outcome", "eq"),
    "topic": ("topics", "has_topic"),
    "group": ("question_group", "eq"),
}

# filters a stream without their column answers through its source file: a record's engine
# is its file's (the `lake_files` view, from the manifest's format of each file)
_THROUGH_FILE: dict[str, tuple[str, str]] = {"engine": ("file_id", "file_engine")}

# filters that mean one stream only, although other streams have the column too: a slow-query
# duration bound must not drop every log record that reports no duration
_ONLY_IN: dict[str, Stream] = {"min_ms": Stream.SLOW_QUERIES, "max_ms": Stream.SLOW_QUERIES}


def applicable(
    stream: Stream, table: dict[str, tuple[str, str]] | None = None
) -> list[tuple[str, str, str]]:
    """(parameter, column, comparison) of each filter of `table` (default: this module's) that
    applies to `stream`, in table order."""
    columns = set(column_names(stream))
    found = []
    for name, compare in (_COMPARE if table is None else table).items():
        if _ONLY_IN.get(name, stream) != stream:
            continue
        if compare[0] not in columns and name in _THROUGH_FILE:
            compare = _THROUGH_FILE[name]  # noqa: PLW2901 - the stream answers it another way
        if compare[0] in columns:
            found.append((name, *compare))
    return found


ENGINES = ("mongodb", "postgres")  # the values of slow_queries.engine


def engine_of(format_name: str | None) -> str | None:
    """The database engine a format's files come from (`mongodb-legacy` -> mongodb), if any."""
    for engine in ENGINES:
        if format_name and format_name.startswith(engine):
            return engine
    return None


# comparison -> its SQL, the column in {}, each `?` bound to the filter's value;
# `trim_eq`: log fields padded with spaces; `level`: the normalized level (any case) or the
# level as logged (MongoDB's I, W, E); `at_least`: this level or a more severe one (LEVELS'
# order); `has_tag`: a JSON attrs object whose `tags` array holds the value
_ORDER = "list_position(" + repr(list(LEVELS)) + ", {})"
COMPARISONS = {
    "eq": "{} = ?",
    "ge": "{} >= ?",
    "lt": "{} < ?",
    "le": "{} <= ?",
    "trim_eq": "trim({}) = ?",
    "level": "(upper(?) = {} OR trim(severity) = ?)",
    "at_least": _ORDER.format("{}") + " >= " + _ORDER.format("upper(?)"),
    "has_tag": "list_contains(json_extract_string({}, '$.tags[*]'), ?)",
    "has_topic": "list_contains(json_extract_string({}, '$[*]'), ?)",
    "file_engine": "{} IN (SELECT file_id FROM lake_files WHERE engine = ?)",
}


# `field.NAME` where a format mapped NAME to a column of its own (an access log's `status` is
# `http_status`, a JSON log's `latency` is `duration_ms`): the column answers for it. The raw
# names are the formats' own (applogs' CANDIDATES), plus the API's names of those columns.
_API_NAMES = {"source": "component", "template": "template_id"}
_NOT_FIELDS = frozenset({"ts", "message"})


@cache
def field_columns() -> dict[str, str]:
    """Field name -> the events column a format fills from it (first claim wins)."""
    from loglake.formats.applogs.fields import CANDIDATES

    events = set(column_names(Stream.EVENTS))
    out = dict(_API_NAMES)
    for column, names in CANDIDATES.items():
        if column in events and column not in _NOT_FIELDS:
            out.setdefault(column, column)
            for name in names:
                out.setdefault(name, column)
    return out


def field_expr(name: str, numeric: bool = False) -> tuple[str, list[Any]]:
    """The SQL of a `field.NAME` value (attrs, or the column a format mapped it to), with its
    bound values; as a DOUBLE (NULL where not a number) when `numeric`."""
    text = "json_extract_string(attrs, ?)"
    column = field_columns().get(name)
    if numeric:
        text = f"TRY_CAST({text} AS DOUBLE)"
    if column is None:
        return text, [field_path(name)]
    own = f'TRY_CAST("{column}" AS DOUBLE)' if numeric else f'CAST("{column}" AS VARCHAR)'
    return f"coalesce({text}, {own})", [field_path(name)]  # a whitelisted identifier, quoted


def field_path(name: str) -> str:
    """The JSON path of a `field.NAME` filter's attrs field (`.` nests; params.FIELD_NAME)."""
    return "$." + ".".join(f'"{part}"' for part in name.split("."))


# `q` on slow queries: a case-insensitive substring of any of these columns
_TEXT_COLUMNS = ("shape", "namespace", "plan_summary", "app_name")


def where(
    stream: Stream, params: dict[str, Any], extra: str = "", extra_values: tuple[Any, ...] = ()
) -> tuple[str, list[Any]]:
    """`WHERE ...` (or an empty string) and its bound values, for one stream.

    `extra` is one more constant clause (with `?` placeholders for `extra_values`).
    """
    columns = set(column_names(stream))
    clauses: list[str] = [extra] if extra else []
    values: list[Any] = list(extra_values)
    for name, column, how in applicable(stream):
        value = params.get(name)
        if value is None:
            continue
        fragment = COMPARISONS[how].format(column)
        clauses.append(fragment)
        values.extend([value] * fragment.count("?"))
        if name in ("from", "to"):  # lets DuckDB skip whole date partitions
            op = ">=" if name == "from" else "<="
            clauses.append(f"{PARTITION_COLUMN} {op} CAST(? AS DATE)")
            values.append(value.date())
    text = params.get("q")
    if text and stream == Stream.SLOW_QUERIES:
        needle = " OR ".join(f"contains(lower({c}), ?)" for c in _TEXT_COLUMNS)
        clauses.append(f"({needle})")
        values.extend([text.lower()] * len(_TEXT_COLUMNS))
    if params.get("hide_system") and "is_system" in columns:  # set by each format
        clauses.append("NOT coalesce(is_system, false)")
    keyword = params.get("keyword")
    if keyword and "message" in columns:  # retrieval: RE2 (DuckDB's regexp engine) or text
        if params.get("regex"):
            clauses.append("regexp_matches(message, ?)")
            values.append(keyword)
        else:
            clauses.append("contains(lower(message), ?)")
            values.append(keyword.lower())
    for name, value in params.get("field") or ():
        if "attrs" in columns:
            expr, bound = field_expr(name)
            clauses.append(f"{expr} = ?")
            values.extend([*bound, value])
    if not clauses:
        return "", []
    return "WHERE " + " AND ".join(clauses), values
