"""Questions about connections: churn over time, peak open, hosts, drivers, apps, sessions."""

from __future__ import annotations

from typing import Any

from loglake.analytics import sql
from loglake.analytics.buckets import bucket_width, timeline
from loglake.analytics.filters import where
from loglake.schema import Stream

TOP = 20
_CONN = Stream.CONNECTIONS

# client-metadata breakdowns: name -> whitelisted columns
_METADATA = {
    "drivers": ("driver_name", "driver_version"),
    "apps": ("app_name",),
    "os": ("os_type", "os_name"),
}


def connections(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Accepted/ended totals, peak open, unique hosts, by IP, drivers, apps, sessions."""
    clause, values = where(_CONN, params)
    out = sql.fetch_one(cur, sql.render("conn_totals", where=clause), values)
    out["first_ts"] = sql.iso(out["first_ts"])
    out["last_ts"] = sql.iso(out["last_ts"])
    out["by_ip"] = sql.fetch(cur, sql.render("conn_by_ip", where=clause), [*values, TOP])
    m_clause, m_values = where(_CONN, params, "event = ?", ("metadata",))
    for name, columns in _METADATA.items():
        text = sql.render("conn_metadata", columns=", ".join(columns), where=m_clause)
        out[name] = sql.fetch(cur, text, [*m_values, TOP])
    width = bucket_width(cur, _CONN, clause, values, params["bucket"])
    out["bucket_seconds"] = width // 1_000_000
    out["timeline"] = timeline(
        sql.fetch(cur, sql.render("conn_timeline", where=clause), [width, width, *values])
    )
    a_clause, a_values = where(_CONN, params, "event = ?", ("accepted",))
    e_clause, e_values = where(_CONN, params, "event = ?", ("ended",))
    text = sql.render("conn_sessions", where_accepted=a_clause, where_ended=e_clause)
    out["sessions"] = sql.fetch_one(cur, text, [*a_values, *e_values])
    return out
