"""Questions about authentication: who succeeded, who failed, from where, and when."""

from __future__ import annotations

from typing import Any

from loglake.analytics import sql
from loglake.analytics.buckets import bucket_width, timeline
from loglake.analytics.filters import where
from loglake.analytics.pages import fetch_page, page_source
from loglake.schema import Stream

TOP = 20
_AUTH = Stream.AUTHENTICATIONS


def auth_summary(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Successes and failures in total, by user, IP and mechanism, reasons and a timeline."""
    clause, values = where(_AUTH, params)
    out = sql.fetch_one(cur, sql.render("auth_totals", where=clause), values)
    out["first_ts"] = sql.iso(out["first_ts"])
    out["last_ts"] = sql.iso(out["last_ts"])
    for name, column in (
        ("by_user", "user"),
        ("by_ip", "client_ip"),
        ("by_mechanism", "mechanism"),
    ):
        rows = sql.fetch(cur, sql.render("auth_by", column=column, where=clause), [*values, TOP])
        for row in rows:
            row["last_failure"] = sql.iso(row["last_failure"])
        out[name] = rows
    f_clause, f_values = where(_AUTH, {**params, "result": "failure"})
    out["failure_reasons"] = sql.fetch(
        cur, sql.render("auth_errors", where=f_clause), [*f_values, TOP]
    )
    width = bucket_width(cur, _AUTH, clause, values, params["bucket"])
    out["bucket_seconds"] = width // 1_000_000
    out["timeline"] = timeline(
        sql.fetch(cur, sql.render("auth_timeline", where=clause), [width, width, *values])
    )
    return out


def auth_logs(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One page of authentication attempts, newest first, and how many match."""
    clause, values = where(_AUTH, params)
    text = sql.render("auth_logs", source=page_source(_AUTH, True, params), where=clause)
    return fetch_page(cur, _AUTH, text, clause, values, params)
