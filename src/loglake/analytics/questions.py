"""The built-in questions of the lake, each declared once (see `registry.py`).

This module is a plugin like any other: `register_questions` is the hook the registry calls.
Implementations live in one module per subject (`slow.py`, `auth.py`, `connections.py`,
`detail.py`, `search.py`; `polars_*.py` for the fallback engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loglake.analytics.buckets import HISTOGRAM_BUCKETS
from loglake.analytics.params import (
    BUCKET,
    CASE,
    CLIENT,
    COMPONENT,
    CURSOR,
    ENGINE,
    FROM,
    GROUP_BY,
    LEVEL,
    LOG_FILTERS,
    MECHANISM,
    OFFSET,
    ORDER,
    PATTERN_SORTS,
    REGEX,
    RESULT,
    SEARCH_TEXT,
    SLOW_FILTERS,
    SLOW_SORTS,
    TO,
    USER,
    Param,
    limit,
)
from loglake.analytics.registry import (
    Answer,
    Cli,
    Params,
    Question,
    on_cursor,
    on_frames,
    on_session,
)
from loglake.schema import Stream

if TYPE_CHECKING:
    from loglake.analytics.registry import Registry
    from loglake.analytics.session import DuckSession, PolarsSession

_SLOW = (Stream.SLOW_QUERIES,)


def _polars_detail(session: PolarsSession, params: Params) -> Answer:
    from loglake.analytics import polars_engine  # polars: imported when first asked

    return polars_engine.detail(session, params)


def _search(session: DuckSession, params: Params) -> Answer:
    from loglake.analytics.search import search  # RE2 and numpy: imported when first asked

    return search(session.lake, params)


SLOW_QUESTIONS = (
    Question(
        "summary",
        "Totals, time range, percentiles, top plans and namespaces",
        SLOW_FILTERS,
        duckdb=on_cursor("loglake.analytics.slow:summary"),
        polars=on_frames("loglake.analytics.polars_slow:summary"),
        route="/summary",
        streams=_SLOW,
        precompute=True,
        answer_keys=(
            "count",
            "total_duration_ms",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "first_ts",
            "last_ts",
        ),
    ),
    Question(
        "patterns",
        "Slow queries grouped into patterns with count, time and examined statistics",
        (
            *SLOW_FILTERS,
            GROUP_BY,
            Param("sort", "enum", "sort column", "total_ms", PATTERN_SORTS),
            ORDER,
            limit(50),
        ),
        duckdb=on_cursor("loglake.analytics.slow:patterns"),
        polars=on_frames("loglake.analytics.polars_slow:patterns"),
        route="/patterns",
        cli=Cli("patterns"),
        streams=_SLOW,
        precompute=True,
        answer_keys=("rows", "group_by"),
    ),
    Question(
        "trend",
        "Patterns over time, plus a bounded sample of executions for a scatter plot",
        (
            *SLOW_FILTERS,
            GROUP_BY,
            BUCKET,
            Param("top", "int", "patterns drawn as series", 10, minimum=1, maximum=50),
            Param("sample", "int", "executions in the scatter", 2000, minimum=0, maximum=20000),
        ),
        duckdb=on_cursor("loglake.analytics.slow:trend"),
        route="/trend",
        streams=_SLOW,
        answer_keys=("series", "sample", "bucket_seconds"),
    ),
    Question(
        "workload",
        "Share of total time per database, collection and op",
        SLOW_FILTERS,
        duckdb=on_cursor("loglake.analytics.slow:workload"),
        route="/workload",
        streams=_SLOW,
        precompute=True,
        answer_keys=("by_db", "by_collection", "by_op"),
    ),
    Question(
        "heatmap",
        "Slow operations per hour of day and calendar day (UTC)",
        SLOW_FILTERS,
        duckdb=on_cursor("loglake.analytics.slow:heatmap"),
        route="/heatmap",
        streams=_SLOW,
        precompute=True,
        answer_keys=("cells",),
    ),
    Question(
        "slow_queries",
        "Slow operations, filtered, sorted and paginated",
        (
            *SLOW_FILTERS,
            Param("sort", "enum", "sort column", "ts", SLOW_SORTS),
            ORDER,
            limit(50),
            OFFSET,
        ),
        duckdb=on_cursor("loglake.analytics.slow:slow_queries"),
        polars=on_frames("loglake.analytics.polars_slow:slow_queries"),
        route="/slow-queries",
        streams=_SLOW,
        answer_keys=("rows", "total"),
    ),
)

OTHER_QUESTIONS = (
    Question(
        "detail",
        "The original log line of a row and its parsed record",
        (
            Param("file_id", "str", "file_id of the row", required=True),
            Param(
                "file_offset",
                "int",
                "byte offset of the line",
                minimum=0,
                maximum=2**62,
                required=True,
            ),
        ),
        duckdb=on_session("loglake.analytics.detail:detail"),
        polars=_polars_detail,
        route="/detail",
        streams=tuple(Stream),  # a line's row may be in any stream
        answer_keys=("raw", "record"),
        not_found=True,
    ),
    Question(
        "auth_summary",
        "Authentication successes and failures by user, IP, mechanism and time",
        (FROM, TO, USER, CLIENT, MECHANISM, RESULT, ENGINE, BUCKET),
        duckdb=on_cursor("loglake.analytics.auth:auth_summary"),
        polars=on_frames("loglake.analytics.polars_streams:auth_summary"),
        route="/auth/summary",
        streams=(Stream.AUTHENTICATIONS,),
        precompute=True,
        answer_keys=("success", "failure", "by_user", "by_ip", "by_mechanism", "timeline"),
    ),
    Question(
        "auth_logs",
        "Authentication attempts, newest first, paginated",
        (FROM, TO, USER, CLIENT, MECHANISM, RESULT, ENGINE, limit(50), OFFSET),
        duckdb=on_cursor("loglake.analytics.auth:auth_logs"),
        polars=on_frames("loglake.analytics.polars_streams:auth_logs"),
        route="/auth/logs",
        streams=(Stream.AUTHENTICATIONS,),
        answer_keys=("rows", "total"),
    ),
    Question(
        "connections",
        "Connections opened and closed over time, peak open, hosts, drivers, apps, sessions",
        (FROM, TO, CLIENT, ENGINE, BUCKET),
        duckdb=on_cursor("loglake.analytics.connections:connections"),
        polars=on_frames("loglake.analytics.polars_streams:connections"),
        route="/connections",
        streams=(Stream.CONNECTIONS,),
        precompute=True,
        answer_keys=("accepted", "ended", "peak_open", "unique_hosts", "timeline"),
    ),
    Question(
        "search",
        "Keyword or regular-expression search over every logged line",
        (
            SEARCH_TEXT,
            REGEX,
            CASE,
            FROM,
            TO,
            LEVEL,
            COMPONENT,
            ENGINE,
            Param("file_id", "str", "search one source file only"),
            limit(50),
            OFFSET,
        ),
        duckdb=_search,
        route="/search",
        cli=Cli("search", argument="q"),
        streams=(Stream.EVENTS,),
        answer_keys=("rows", "total"),
    ),
    Question(
        "templates",
        "Message templates: count, share, first/last seen, level mix, an example, a trend",
        (
            FROM,
            TO,
            LEVEL,
            COMPONENT,
            Param("q", "str", "text contained in the template (any case)"),
            Param("buckets", "int", "points in each template's trend", 24, minimum=2, maximum=200),
            limit(100),
        ),
        duckdb=on_cursor("loglake.analytics.templates:templates"),
        route="/templates",
        cli=Cli("templates"),
        streams=(Stream.EVENTS,),
        answer_keys=("rows", "total", "trend_start", "bucket_seconds"),
    ),
)


_EVENTS = (Stream.EVENTS,)
LOG_QUESTIONS = (
    Question(
        "logs",
        "Log records filtered by user, time, level, keyword, source, host, template, fields; "
        "newest first, keyset-paginated",
        (*LOG_FILTERS, CURSOR, limit(100)),
        duckdb=on_cursor("loglake.analytics.logs:logs"),
        route="/logs",
        streams=_EVENTS,
        answer_keys=("rows", "total", "next_cursor"),
    ),
    Question(
        "logs_aggregate",
        "Log records counted by fields, top values (facets), over time, and field statistics",
        (
            *LOG_FILTERS,
            Param("group_by", "str", "count by these fields, comma-separated (e.g. level,user)"),
            Param("facets", "str", "top values of each of these fields, comma-separated"),
            Param("histogram", "bool", "counts over time, every bucket (empty ones 0)", False),
            Param("bucket", "enum", "histogram bucket", "auto", HISTOGRAM_BUCKETS),
            Param("stats", "str", "avg, p50, p95, min and max of a numeric field (duration_ms)"),
            limit(10, maximum=1000),
        ),
        duckdb=on_cursor("loglake.analytics.logs:aggregate"),
        route="/logs/aggregate",
        streams=_EVENTS,
        answer_keys=("total", "groups", "facets", "histogram", "stats"),
    ),
)


def register_questions(registry: Registry) -> None:
    """The plugin hook: add the lake's built-in questions."""
    for question in (*SLOW_QUESTIONS, *OTHER_QUESTIONS, *LOG_QUESTIONS):
        registry.add(question)
