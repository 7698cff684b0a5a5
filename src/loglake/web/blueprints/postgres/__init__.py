"""PostgreSQL pages: statements (time per hour, top normalized queries, errors) and activity
(lock waits, temporary files, checkpoints, autovacuum, sessions): pgBadger's report, live.

Every answer is a registered question of `analytics/postgres.py`, asked with the page's URL
parameters (the time range, `user`, `db`, `app`, `sort`), so a page and its API agree.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded

area = Area("postgres", __name__, "PostgreSQL", template_folder="templates")

TOP_SORTS = (
    ("total_ms", "Total time"),
    ("count", "Count"),
    ("avg_ms", "Mean"),
    ("max_ms", "Slowest"),
)
SESSION_DIMENSIONS = (
    ("db", "Database"),
    ("user", "User"),
    ("app", "Application"),
    ("host", "Host"),
)


def _hour_points(hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"t": h["hour"], "seconds": round(h["total_ms"] / 1000, 3), **h} for h in hours]


@area.page("/postgres", "Statements")
def statements() -> Response:
    """Time per hour, the top normalized statements (by total, count, mean, max), errors."""

    def build() -> dict[str, Any]:
        sort = request.args.get("sort") or "total_ms"
        top = ask("top_queries", sort=sort, limit=request.args.get("limit") or "25")
        hours = _hour_points(ask("time_per_hour")["hours"])
        errors = ask("errors", limit="25")
        codes = errors["by_code"][:12]
        return {
            "top": top,
            "sort": sort,
            "sorts": TOP_SORTS,
            "errors": errors,
            "charts": {
                "time": charts.timeseries(hours, [("seconds", "seconds")], "bar", unit=" s"),
                "count": charts.timeseries(hours, [("statements", "count")], "bar"),
                "codes": charts.bars(
                    [{"key": r["code"] or "(none)", "count": r["count"]} for r in codes],
                    "key",
                    "count",
                    color=charts.COLORS["failure"],
                ),
            },
        }

    return guarded("postgres/statements", build)


@area.page("/postgres/activity", "Locks, vacuum, sessions")
def activity() -> Response:
    """Lock waits, temporary files, checkpoints, autovacuum per table, sessions."""

    def build() -> dict[str, Any]:
        by = request.args.get("by") or "db"
        vacuum = ask("autovacuum", limit="30")
        sessions = ask("sessions", by=by, limit="25")
        return {
            "locks": ask("lock_waits", limit="25"),
            "temp": ask("temp_files", limit="25"),
            "checkpoints": ask("checkpoints"),
            "vacuum": vacuum,
            "sessions": sessions,
            "by": by,
            "dimensions": SESSION_DIMENSIONS,
            "charts": {
                "vacuum": charts.bars(
                    [
                        {"key": r["table"] or "?", "runs": r["vacuums"] + r["analyzes"]}
                        for r in vacuum["rows"][:15]
                    ],
                    "key",
                    "runs",
                ),
                "sessions": charts.bars(
                    [{"key": r["key"] or "(none)", **r} for r in sessions["rows"][:15]],
                    "key",
                    "sessions",
                ),
            },
        }

    return guarded("postgres/activity", build)
