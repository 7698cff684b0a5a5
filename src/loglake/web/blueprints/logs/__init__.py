"""Log pages: Discover (retrieval), keyword/regex search, authentication, connections."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, request

from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded, link
from loglake.web.templating import url_with, zone

area = Area("logs", __name__, "Logs", template_folder="templates")

# the facet lists of Discover: (field of /api/logs/aggregate = filter of /api/logs, heading)
FACETS = (
    ("level", "Level"),
    ("source", "Source"),
    ("user", "User"),
    ("host", "Host"),
    ("template", "Template"),
)
# the filters Discover shows as removable chips (field.NAME ones are added as found)
CHIPS = (
    "date", "from", "to", "level", "min_level", "source", "user", "host", "template",
    "request_id", "tag",
)  # fmt: skip
PAGE_ROWS = "50"


def _zoom_links(histogram: dict[str, Any]) -> list[str]:
    """For each bar, the page narrowed to that bucket (from its start to the next one's)."""
    width = timedelta(seconds=histogram["bucket_seconds"] or 0)
    out = []
    for bucket in histogram["buckets"]:
        start = datetime.fromisoformat(bucket["t"].replace("Z", "+00:00"))
        end = (start + width).isoformat().replace("+00:00", "Z")
        out.append(url_with(from_=bucket["t"], to=end, date=None, cursor=None))
    return out


@area.page("/logs", "Discover")
def discover() -> Response:
    """Every log record: a time histogram to zoom, facets with counts, a search box, and
    the records newest first, each opening its parsed fields and raw entry in place."""

    def build() -> dict[str, Any]:
        rows = ask("logs", limit=request.args.get("limit") or PAGE_ROWS)
        counts = ask(
            "logs_aggregate",
            facets=",".join(name for name, _ in FACETS),
            histogram="true",
            group_by=None,
            stats=None,
            limit="8",
        )
        histogram = counts["histogram"]
        fields = [k for k in request.args if k.startswith("field.") and request.args[k]]
        return {
            "answer": rows,
            "counts": counts,
            "facets": FACETS,
            "chips": [k for k in (*CHIPS, *fields) if request.args.get(k)],
            "histogram": charts.histogram(
                histogram["buckets"],
                histogram["bucket_seconds"],
                zone(),
                _zoom_links(histogram),
            ),
            "bucket_seconds": histogram["bucket_seconds"],
        }

    return guarded("logs/discover", build)


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
                    bucket_seconds=summary["bucket_seconds"],
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
                    answer["timeline"],
                    [("opened", "accepted"), ("closed", "ended")],
                    "bar",
                    bucket_seconds=answer["bucket_seconds"],
                ),
                "open": charts.timeseries(
                    answer["timeline"],
                    [("open connections", "open")],
                    bucket_seconds=answer["bucket_seconds"],
                    gauges=("open",),
                ),
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
