"""Overview pages: the dashboard (the home page) and grounded answers to questions."""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for

from loglake.web import charts
from loglake.web.area import Area
from loglake.web.blueprints.queries import namespace_time
from loglake.web.pages import ask, guarded, link
from loglake.web.templating import global_query

area = Area("overview", __name__, "Overview", template_folder="templates")


@area.get("/")
def index() -> Response:
    """The dashboard is the home page."""
    return redirect(url_for("overview.dashboard") + global_query())  # type: ignore[return-value]


@area.page("/dashboard", "Dashboard")
def dashboard() -> Response:
    """Totals, time range, charts and the top lists, each tile linking to its page."""

    def build() -> dict[str, Any]:
        summary = ask("summary")
        patterns = ask("patterns", limit="8")
        heat = ask("heatmap")
        timeline = ask("trend", group_by="plan", top="6", sample="0")
        auth = ask("auth_summary")
        conns = ask("connections")
        return {
            "summary": summary,
            "patterns": patterns["rows"],
            "charts": {
                "timeline": charts.multi_series(
                    timeline["series"],
                    "count",
                    lambda s: link("queries.slow_queries", plan=s["key"]),
                    timeline["bucket_seconds"],
                ),
                "plans": charts.donut(
                    summary["top_plans"],
                    "key",
                    "count",
                    lambda r: link("queries.slow_queries", plan=r["key"]),
                ),
                "namespaces": namespace_time(summary["top_namespaces"][:8]),
                "heatmap": charts.heatmap(heat["days"], heat["cells"]),
                "auth": charts.timeseries(
                    auth["timeline"],
                    [("failure", "failure"), ("success", "success")],
                    "bar",
                    "",
                    True,
                    auth["bucket_seconds"],
                ),
                "connections": charts.timeseries(
                    conns["timeline"],
                    [("opened", "accepted"), ("closed", "ended"), ("open", "open")],
                    bucket_seconds=conns["bucket_seconds"],
                    gauges=("open",),
                ),
            },
            "auth": auth,
            "conns": conns,
        }

    return guarded("overview/dashboard", build)


@area.page("/ask", "Ask")
def ask_page() -> Response:
    """Grounded answers to questions in plain words (no language model: facts only)."""
    from loglake.advisor.ask import answer

    def build() -> dict[str, Any]:
        question = request.args.get("q", "").strip()
        return {"question": question, "result": answer(g.analytics, question) if question else None}

    return guarded("overview/ask", build)
