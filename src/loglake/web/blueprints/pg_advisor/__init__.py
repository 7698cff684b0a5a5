"""The live PostgreSQL advisor's pages: bottlenecks (reason, DDL with a copy button,
confidence and risk, family and anomaly chips) and a statement's detail (plan facts,
recommendations, "Run simulation" with a before/after panel, an ask box).

The list is the registry's `pg_bottlenecks` answer; the detail, simulation and answers are
the functions behind /api/pg/queries/<id>, /api/pg/simulate and /api/pg/chat, so a page
and its API agree.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, render_template, request

from loglake.errors import LoglakeError
from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded

area = Area("pg_advisor", __name__, "PostgreSQL", template_folder="templates")

CONFIDENCE_BANDS = ((0.75, "ok"), (0.5, "warn"), (0.0, "bad"))


def band(confidence: float | None) -> str:
    """The badge colour of a confidence."""
    value = confidence or 0.0
    return next(name for floor, name in CONFIDENCE_BANDS if value >= floor)


@area.page("/pg/bottlenecks", "Live advisor")
def bottlenecks() -> Response:
    """The newest snapshot's costliest statements with their top recommendation."""

    def build() -> dict[str, Any]:
        return {"answer": ask("pg_bottlenecks", limit=request.args.get("limit") or "25"),
                "band": band}  # fmt: skip

    return guarded("pg_advisor/bottlenecks", build, time_picker=False)


@area.route("/pg/queries/<query_id>")
def query(query_id: str) -> Response:
    """One statement: plan facts, history, recommendations, simulation, ask box."""
    from loglake.advisor.pg_bottlenecks import query_detail

    def build() -> dict[str, Any]:
        if g.analytics.lake is None:
            raise LoglakeError("the live advisor's pages need DuckDB")
        with g.analytics.lake.snapshot() as cur:
            detail = query_detail(cur, {"query_id": query_id})
        points = [{"t": h["captured_at"], **h} for h in detail["history"]]
        # one point per snapshot (a gauge: no zeros between snapshots), drawn as dots
        chart = charts.timeseries(
            points, [("mean ms", "mean_ms")], "scatter", unit=" ms", gauges=("mean_ms",)
        )
        return {"d": detail, "band": band, "chart": chart}

    return guarded("pg_advisor/query", build, time_picker=False)


@area.route("/pg/queries/<query_id>/simulate", methods=["POST"])
def simulate(query_id: str) -> Response:
    """The before/after panel of one simulation and the statement's simulations (an HTMX
    fragment; the list swapped out of band)."""
    from loglake.advisor.pg_bottlenecks import latest, simulations
    from loglake.web.pg_api import run_simulation

    try:
        result = run_simulation(query_id, request.form.get("rec_id"),
                                request.form.get("mode") or "hypopg")  # fmt: skip
        if g.analytics.lake is None:
            return Response(render_template("pg_advisor/_simulation.html", sim=result))
        with g.analytics.lake.snapshot() as cur:  # the list, with the run just committed
            snap = latest(cur)
            listed = simulations(cur, snap["server"], query_id) if snap else []
        html = render_template("pg_advisor/_simulation.html", sim=result, simulations=listed)
        return Response(html)
    except LoglakeError as exc:
        html = render_template("pg_advisor/_simulation.html", sim=None, error=str(exc))
        return Response(html, status=200)


@area.route("/pg/ask", methods=["POST"])
def answer() -> Response:
    """A templated answer citing stored facts (an HTMX fragment)."""
    from loglake.advisor.pg_chat import chat
    from loglake.web.pg_api import run_simulation

    settings = g.analytics.settings
    try:
        if g.analytics.lake is None:
            raise LoglakeError("the live advisor's answers need DuckDB")
        with g.analytics.lake.snapshot() as cur:
            found = chat(cur, request.form.get("question", ""),
                         request.form.get("query_id") or None,
                         run_simulation if settings.pg_dsn else None)  # fmt: skip
        return Response(render_template("pg_advisor/_answer.html", a=found))
    except LoglakeError as exc:
        return Response(render_template("pg_advisor/_answer.html", a=None, error=str(exc)))
