"""Log pages: keyword/regex search, authentication, connections."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded, link

area = Area("logs", __name__, "Logs", template_folder="templates")


@area.page("/search-logs", "Search logs")
def search_logs() -> Response:
    """Keyword or regular-expression search over every line, each hit opening its entry."""

    def build() -> dict[str, Any]:
        query = request.args.get("q", "").strip()
        return {"answer": ask("search") if query else None, "query": query}

    return guarded("logs/search_logs", build)


@area.page("/auth", "Authentication")
def auth() -> Response:
    """Successes and failures over time, failures by user, IP and mechanism, recent failures."""

    def build() -> dict[str, Any]:
        summary = ask("auth_summary")
        recent = ask("auth_logs", result=request.args.get("result") or "failure", limit="25")

        def by(name: str) -> Any:
            return lambda r: link("logs.auth", **{name: r["key"]})

        failures = [r for r in summary["by_user"] if r["failure"]]
        return {
            "summary": summary,
            "recent": recent,
            "charts": {
                "timeline": charts.timeseries(
                    summary["timeline"],
                    [("failure", "failure"), ("success", "success")],
                    "bar",
                    stack=True,
                ),
                "users": charts.bars(
                    failures[:12], "key", "failure", by("user"), color=charts.COLORS["failure"]
                ),
                "ips": charts.bars(
                    [r for r in summary["by_ip"] if r["failure"]][:12],
                    "key",
                    "failure",
                    by("client"),
                ),
                "mechanisms": charts.donut(
                    summary["by_mechanism"], "key", "failure", by("mechanism")
                ),
            },
        }

    return guarded("logs/auth", build)


@area.page("/connections", "Connections")
def connections() -> Response:
    """Opened/closed over time, concurrency, hosts, drivers, apps and session durations."""

    def build() -> dict[str, Any]:
        answer = ask("connections")
        sessions = answer["sessions"]
        buckets = [
            {"key": label, "count": sessions.get(key) or 0}
            for key, label in (
                ("under_1s", "< 1 s"),
                ("s1_10", "1-10 s"),
                ("s10_60", "10-60 s"),
                ("m1_10", "1-10 min"),
                ("m10_60", "10-60 min"),
                ("over_1h", "> 1 h"),
            )
        ]
        client = lambda r: link("logs.connections", client=r["key"])  # noqa: E731
        return {
            "answer": answer,
            "charts": {
                "churn": charts.timeseries(
                    answer["timeline"], [("opened", "accepted"), ("closed", "ended")], "bar"
                ),
                "open": charts.timeseries(answer["timeline"], [("open connections", "open")]),
                "clients": charts.bars(answer["by_ip"][:12], "key", "accepted", client),
                "sessions": charts.bars(buckets[::-1], "key", "count"),
                "drivers": charts.donut(
                    [
                        {"key": f"{d['driver_name']} {d['driver_version'] or ''}".strip(), **d}
                        for d in answer["drivers"][:10]
                    ],
                    "key",
                    "count",
                ),
            },
        }

    return guarded("logs/connections", build)
