"""`loglake report`: the lake as one self-contained HTML file, like pgBadger's report.

The report asks the registered questions (the same answers as the API and the pages), per
database engine found in the lake's files (PostgreSQL and MongoDB alike), and renders them
with one Jinja template whose values are all escaped. Charts are inline SVG (`svg.py`);
there is no script, and nothing is fetched: the file opens offline, by mail or on a laptop.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import TYPE_CHECKING, Any

from loglake import __version__
from loglake.analytics.filters import ENGINES, engine_of
from loglake.store.manifest import load_manifest
from loglake.web.report import svg

if TYPE_CHECKING:
    from loglake.analytics.service import Analytics

ENGINE_NAMES = {"postgres": "PostgreSQL", "mongodb": "MongoDB"}
# what a row of `collection` is called, per engine (the pages' wording)
TABLE_WORD = {"postgres": "table", "mongodb": "collection"}
ROWS_WORD = {"postgres": "rows", "mongodb": "documents"}
COUNT_WORD = {"postgres": "Statements with a duration", "mongodb": "Slow operations"}
SHAPE_WORD = {"postgres": "Normalized statements", "mongodb": "Query shapes"}
TOP = 15


def engines_in(analytics: Analytics) -> list[str]:
    """The engines whose logs the lake holds, in a fixed order."""
    manifest = load_manifest(analytics.settings.root)
    found = {engine_of(entry.get("format")) for entry in manifest.get("files", {}).values()}
    return [engine for engine in ENGINES if engine in found]


def _hour_label(iso: str) -> str:
    return iso[:13].replace("T", " ") + "h"


def _statements(analytics: Analytics, engine: str) -> dict[str, Any]:
    """The statement sections of one engine: overview, time per hour, top queries."""
    ask = analytics.ask
    summary = ask("summary", {"engine": engine})
    hours = ask("time_per_hour", {"engine": engine})["hours"]
    tops = {
        sort: ask("top_queries", {"engine": engine, "sort": sort, "limit": str(TOP)})
        for sort in ("total_ms", "count", "avg_ms", "max_ms")
    }
    return {
        "summary": summary,
        "normalized": tops["total_ms"]["normalized"],
        "tops": tops,
        "charts": {
            "time": svg.columns(
                [(_hour_label(h["hour"]), h["total_ms"] / 1000) for h in hours],
                "Time consumed per hour with statements (s)",
                "s",
            ),
            "count": svg.columns(
                [(_hour_label(h["hour"]), h["count"]) for h in hours],
                "Statements per hour (hours with statements)",
            ),
        },
    }


def _logs(analytics: Analytics, engine: str) -> dict[str, Any]:
    """Errors, authentications and connections of one engine."""
    errors = analytics.ask("errors", {"engine": engine, "limit": "30"})
    auth = analytics.ask("auth_summary", {"engine": engine})
    conns = analytics.ask("connections", {"engine": engine})
    failures = [(r["key"] or "(none)", r["failure"]) for r in auth["by_user"] if r["failure"]]
    return {
        "errors": errors,
        "auth": auth,
        "connections": conns,
        "charts": {
            "codes": svg.hbars(
                [(r["code"] or "(no code)", r["count"]) for r in errors["by_code"][:12]],
                "Errors by code",
                alert=True,
            ),
            "auth_failures": svg.hbars(failures[:12], "Failed logins by user", alert=True),
        },
    }


def _postgres(analytics: Analytics) -> dict[str, Any]:
    """The PostgreSQL-only sections: locks, temp files, checkpoints, autovacuum, sessions."""
    ask = analytics.ask
    locks = ask("lock_waits", {"limit": "20"})
    temp = ask("temp_files", {"limit": "20"})
    vacuum = ask("autovacuum", {"limit": "30"})
    sessions = {by: ask("sessions", {"by": by, "limit": "15"}) for by in ("db", "user", "app")}
    sessions["host"] = ask("sessions", {"by": "host", "limit": "15"})
    return {
        "locks": locks,
        "temp": temp,
        "checkpoints": ask("checkpoints", {}),
        "vacuum": vacuum,
        "sessions": sessions,
        "charts": {
            "vacuum": svg.hbars(
                [(r["table"] or "?", r["vacuums"] + r["analyzes"]) for r in vacuum["rows"][:12]],
                "Autovacuum and autoanalyze runs per table",
            ),
            "sessions": svg.hbars(
                [(r["key"] or "(none)", r["sessions"]) for r in sessions["db"]["rows"][:12]],
                "Sessions per database",
            ),
        },
    }


def report_context(analytics: Analytics, title: str | None = None) -> dict[str, Any]:
    """Everything the report shows, from the registered questions."""
    sections = []
    for engine in engines_in(analytics):
        section = {
            "engine": engine,
            "name": ENGINE_NAMES[engine],
            "table_word": TABLE_WORD[engine],
            "rows_word": ROWS_WORD[engine],
            "count_word": COUNT_WORD[engine],
            "shape_word": SHAPE_WORD[engine],
            **_statements(analytics, engine),
            **{"logs": _logs(analytics, engine)},
        }
        section["pg"] = _postgres(analytics) if engine == "postgres" else None
        sections.append(section)
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "title": title or "loglake report",
        "root": str(analytics.settings.root),
        "generated": generated,
        "version": __version__,
        "sections": sections,
    }


def render_report(analytics: Analytics, title: str | None = None) -> str:
    """The report as one HTML document (every value escaped, nothing to fetch)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    env.filters.update(
        number=svg.number,
        duration=svg.duration,
        size=svg.size,
        pct=lambda v: f"{v or 0:.1f}%",
        when=lambda ts: (ts or "")[:19].replace("T", " "),
    )
    text = resources.files(__name__).joinpath("templates", "report.html").read_text("utf-8")
    return env.from_string(text).render(**report_context(analytics, title))
