"""The answers pgBadger users look for, over PostgreSQL rows (and any engine's, where it fits).

Top normalized statements by total time, count, mean or max with the slowest example and its
parameters; time consumed per hour; errors by SQLSTATE and message; lock waits; temporary
files by statement; checkpoints; autovacuum per table; sessions per database, user,
application or host. The rows are those of the PostgreSQL formats (docs/internals.md,
"PostgreSQL rows"): statements in `slow_queries`, everything else in `events` with its
parsed fields in `attrs` (read through the `attr` macro). Each question's `engine` filter
defaults to postgres; the statement questions answer for MongoDB too with `engine=mongodb`.
This module is a plugin of the question registry (`register_questions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loglake.analytics import sql
from loglake.analytics.filters import ENGINES, where
from loglake.analytics.params import FROM, TO, Param, limit
from loglake.analytics.registry import Answer, Cli, Params, Question, on_cursor
from loglake.schema import Stream, column_names

if TYPE_CHECKING:
    from loglake.analytics.registry import Registry
    from loglake.analytics.session import DuckSession

_SLOW = Stream.SLOW_QUERIES
_EVENTS = Stream.EVENTS
EXAMPLE_CHARS = 4000  # an example statement's raw entry is cut here
# executions only: a PostgreSQL `parse` or `bind` duration is a phase of an extended-protocol
# execution whose `execute` row is counted (pgBadger's count too); no MongoDB row is either
EXECUTIONS = "coalesce(op_type, '') NOT IN ('parse', 'bind')"

ENGINE = Param("engine", "enum", "one database engine's rows only", "postgres", ENGINES)
DB = Param("db", "str", "exact database name")
USER = Param("user", "str", "user name")
APP = Param("app", "str", "client application name")
TOP_SORTS = {"total_ms": "total_ms", "count": "count", "avg_ms": "avg_ms", "max_ms": "max_ms"}
SESSION_DIMENSIONS = {"db": "db", "user": "user", "app": "app", "host": "host"}
_EVENT_FILTERS = (FROM, TO, USER, ENGINE)


def _kind(*kinds: str) -> tuple[str, tuple[str, ...]]:
    """A constant clause keeping records of these `attrs.kind`s, and its values."""
    return f"attr(attrs, '$.kind') IN ({', '.join('?' * len(kinds))})", kinds


def _times(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    for row in rows:
        for key in keys:
            row[key] = sql.iso(row.get(key))
    return rows


def top_queries(session: DuckSession, params: Params) -> Answer:
    """Normalized statements, costliest first, each with its slowest execution as the example."""
    clause, values = where(_SLOW, params, EXECUTIONS)
    text = sql.render(
        "postgres_top_queries",
        where=clause,
        sort=TOP_SORTS[params["sort"]],
        # the DETAIL parameters of PostgreSQL rows (a column older lakes do not have)
        params="params" if "params" in column_names(_SLOW) else "CAST(NULL AS VARCHAR)",
    )
    with session.snapshot() as cur:
        totals = sql.fetch_one(cur, sql.render("postgres_totals", where=clause), values)
        rows = sql.fetch(cur, text, [*values, params["limit"]])
    for row in rows:
        raw = session.reader.read_line(
            row.pop("example_file_id"), row.pop("example_offset"), row.pop("example_length")
        )
        row["example"] = raw[:EXAMPLE_CHARS].decode("utf-8", "replace")
        row["share_pct"] = 100 * row["total_ms"] / totals["total_ms"] if totals["total_ms"] else 0
    _times(rows, "first_ts", "last_ts", "example_ts")
    _times([totals], "first_ts", "last_ts")
    return {**totals, "sort": params["sort"], "rows": rows}


def time_per_hour(cur: Any, params: Params) -> Answer:
    """Statements and the time they took, per UTC hour."""
    clause, values = where(_SLOW, params, EXECUTIONS)
    rows = sql.fetch(cur, sql.render("postgres_per_hour", where=clause), [*values, 10_000])
    return {"hours": _times(rows, "hour")}


def errors(cur: Any, params: Params) -> Answer:
    """ERROR/FATAL/PANIC records by SQLSTATE and by message, with an example statement."""
    clause, values = where(_EVENTS, params, "level IN (?, ?)", ("ERROR", "FATAL"))
    by_code = sql.fetch(cur, sql.render("postgres_error_codes", where=clause), [*values, 100])
    rows = sql.fetch(cur, sql.render("postgres_errors", where=clause), [*values, params["limit"]])
    return {
        "total": sum(r["count"] for r in by_code),
        "by_code": by_code,
        "rows": _times(rows, "first_ts", "last_ts"),
    }


def _count(cur: Any, params: Params, *kinds: str) -> int:
    extra, kv = _kind(*kinds)
    clause, values = where(_EVENTS, params, extra, kv)
    rows = sql.fetch(cur, sql.render("postgres_kinds", where=clause), values)
    return sum(r["count"] for r in rows)


def lock_waits(cur: Any, params: Params) -> Answer:
    """Lock waits by statement and mode, with how many locks were then acquired and deadlocks."""
    extra, kv = _kind("lock_wait")
    clause, values = where(_EVENTS, params, extra, kv)
    rows = sql.fetch(
        cur, sql.render("postgres_lock_waits", where=clause), [*values, params["limit"]]
    )
    totals = sql.fetch_one(cur, sql.render("postgres_lock_totals", where=clause), values)
    extra, kv = _kind("lock_acquired")  # `acquired … after N ms`: the whole wait
    a_clause, a_values = where(_EVENTS, params, extra, kv)
    acquired = sql.fetch_one(cur, sql.render("postgres_lock_totals", where=a_clause), a_values)
    return {
        **totals,
        "acquired": acquired["waits"],
        "acquired_wait_ms": acquired["total_wait_ms"],
        "deadlocks": _count(cur, params, "deadlock"),
        "rows": _times(rows, "first_ts", "last_ts"),
    }


def temp_files(cur: Any, params: Params) -> Answer:
    """Temporary files by the statement that wrote them, biggest total first."""
    extra, kv = _kind("temp_file")
    clause, values = where(_EVENTS, params, extra, kv)
    rows = sql.fetch(
        cur, sql.render("postgres_temp_files", where=clause), [*values, params["limit"]]
    )
    return {
        "count": _count(cur, params, "temp_file"),
        "total_bytes": sum(r["total_bytes"] or 0 for r in rows),
        "rows": _times(rows, "first_ts", "last_ts"),
    }


def checkpoints(cur: Any, params: Params) -> Answer:
    """Checkpoints completed (buffers, times, WAL files) and started, by reason."""
    extra, kv = _kind("checkpoint_complete", "restartpoint_complete")
    clause, values = where(_EVENTS, params, extra, kv)
    out = sql.fetch_one(cur, sql.render("postgres_checkpoints", where=clause), values)
    extra, kv = _kind("checkpoint_starting", "restartpoint_starting")
    clause, values = where(_EVENTS, params, extra, kv)
    out["reasons"] = sql.fetch(cur, sql.render("postgres_checkpoint_reasons", where=clause), values)
    return _times([out], "first_ts", "last_ts")[0]


def autovacuum(cur: Any, params: Params) -> Answer:
    """Automatic vacuums and analyzes per table, busiest table first."""
    extra, kv = _kind("autovacuum", "autoanalyze")
    clause, values = where(_EVENTS, params, extra, kv)
    rows = sql.fetch(
        cur, sql.render("postgres_autovacuum", where=clause), [*values, params["limit"]]
    )
    return {
        "vacuums": _count(cur, params, "autovacuum"),
        "analyzes": _count(cur, params, "autoanalyze"),
        "rows": _times(rows, "last_ts"),
    }


def sessions(cur: Any, params: Params) -> Answer:
    """Ended sessions and their durations per database, user, application or host."""
    extra, kv = _kind("disconnection")
    clause, values = where(_EVENTS, params, extra, kv)
    rows = sql.fetch(
        cur,
        sql.render("postgres_sessions", where=clause, column=SESSION_DIMENSIONS[params["by"]]),
        [*values, params["limit"]],
    )
    return {
        "by": params["by"],
        "sessions": _count(cur, params, "disconnection"),
        "rows": rows,
    }


_STATEMENT_FILTERS = (FROM, TO, DB, USER, APP, ENGINE)
PG_QUESTIONS = (
    Question(
        "top_queries",
        "Normalized statements by total time, count, mean or max, with the slowest example",
        (
            *_STATEMENT_FILTERS,
            Param("sort", "enum", "rank by", "total_ms", tuple(TOP_SORTS)),
            limit(20, 1000),
        ),
        duckdb=top_queries,
        route="/pg/top-queries",
        cli=Cli("top-queries"),
        streams=(_SLOW,),
        answer_keys=("count", "total_ms", "normalized", "rows"),
    ),
    Question(
        "time_per_hour",
        "Statements and the time they took, per UTC hour",
        _STATEMENT_FILTERS,
        duckdb=on_cursor(time_per_hour),
        route="/pg/time-per-hour",
        streams=(_SLOW,),
        answer_keys=("hours",),
    ),
    Question(
        "errors",
        "ERROR, FATAL and PANIC records by SQLSTATE and message",
        (*_EVENT_FILTERS, limit(50, 1000)),
        duckdb=on_cursor(errors),
        route="/pg/errors",
        cli=Cli("pg-errors"),
        streams=(_EVENTS,),
        answer_keys=("total", "by_code", "rows"),
    ),
    Question(
        "lock_waits",
        "Lock waits by statement and mode, locks acquired after a wait, deadlocks",
        (*_EVENT_FILTERS, limit(50, 1000)),
        duckdb=on_cursor(lock_waits),
        route="/pg/lock-waits",
        cli=Cli("pg-locks"),
        streams=(_EVENTS,),
        answer_keys=("waits", "acquired", "deadlocks", "rows"),
    ),
    Question(
        "temp_files",
        "Temporary files by the statement that wrote them",
        (*_EVENT_FILTERS, limit(50, 1000)),
        duckdb=on_cursor(temp_files),
        route="/pg/temp-files",
        cli=Cli("pg-temp-files"),
        streams=(_EVENTS,),
        answer_keys=("count", "total_bytes", "rows"),
    ),
    Question(
        "checkpoints",
        "Checkpoints: how many, buffers written, write/sync/total time, WAL files, reasons",
        _EVENT_FILTERS,
        duckdb=on_cursor(checkpoints),
        route="/pg/checkpoints",
        cli=Cli("pg-checkpoints"),
        streams=(_EVENTS,),
        answer_keys=("count", "buffers", "reasons"),
    ),
    Question(
        "autovacuum",
        "Automatic vacuums and analyzes per table",
        (*_EVENT_FILTERS, limit(50, 1000)),
        duckdb=on_cursor(autovacuum),
        route="/pg/autovacuum",
        cli=Cli("pg-autovacuum"),
        streams=(_EVENTS,),
        answer_keys=("vacuums", "analyzes", "rows"),
    ),
    Question(
        "sessions",
        "Sessions and their durations per database, user, application or host",
        (
            *_EVENT_FILTERS,
            Param("by", "enum", "group sessions by", "db", tuple(SESSION_DIMENSIONS)),
            limit(50, 1000),
        ),
        duckdb=on_cursor(sessions),
        route="/pg/sessions",
        cli=Cli("pg-sessions"),
        streams=(_EVENTS,),
        answer_keys=("by", "sessions", "rows"),
    ),
)


def register_questions(registry: Registry) -> None:
    """The plugin hook: add the PostgreSQL questions."""
    for question in PG_QUESTIONS:
        registry.add(question)
