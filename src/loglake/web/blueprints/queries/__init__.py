"""Slow-query pages: slow queries (+ export), trend, analysis, workload, index suggestions."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request

from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded, has_data, link, render

area = Area("queries", __name__, "Queries", template_folder="templates")

EXPORT_ROWS = 10_000  # rows in a CSV/JSON export of a table
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SLOW_COLUMNS = (
    ("ts", "Time"),
    ("namespace", "Namespace"),
    ("op", "Op"),
    ("plan", "Plan"),
    ("duration_ms", "Duration"),
    ("docs_examined", "Docs examined"),
    ("keys_examined", "Keys examined"),
    ("nreturned", "Returned"),
    ("app_name", "App"),
    ("client_ip", "Client"),
)
GROUPINGS = (
    ("shape", "Query shape"),
    ("query_hash", "queryHash"),
    ("namespace", "Namespace"),
    ("plan", "Plan"),
    ("app", "Application"),
)
# what a pattern key filters on, by grouping
GROUP_FILTER = {
    "shape": "shape_hash",
    "query_hash": "query_hash",
    "namespace": "namespace",
    "plan": "plan",
    "app": "app",
}


def namespace_time(rows: list[dict[str, Any]]) -> charts.Chart:
    """Total time per namespace; a bar opens that namespace's slowest operations."""
    return charts.bars(
        rows,
        "key",
        "total_ms",
        lambda r: link("queries.slow_queries", namespace=r["key"], sort="duration_ms"),
        duration=True,
    )


@area.page("/slow-queries", "Slow queries")
def slow_queries() -> Response:
    """The slow-operation table: filters, sortable columns, pagination, export."""

    def build() -> dict[str, Any]:
        return {"answer": ask("slow_queries"), "columns": SLOW_COLUMNS}

    return guarded("queries/slow_queries", build)


@area.page("/query-trend", "Query trend")
def query_trend() -> Response:
    """Patterns over time and a scatter of executions; system databases hidden by default."""

    def build() -> dict[str, Any]:
        show_system = request.args.get("show_system") == "1"
        hide = None if show_system else "true"
        group_by = request.args.get("group_by") or "shape"
        trend = ask("trend", hide_system=hide)
        labels = {s["key"]: s["label"] or s["key"] for s in trend["series"]}
        key_filter = GROUP_FILTER.get(group_by, "shape_hash")
        return {
            "trend": trend,
            "group_by": group_by,
            "groupings": GROUPINGS,
            "show_system": show_system,
            "lines": charts.multi_series(
                trend["series"],
                "count",
                lambda s: link("queries.slow_queries", **{key_filter: s["key"]}),
                trend["bucket_seconds"],
            ),
            "scatter": charts.scatter(trend["sample"], labels),
            "key_filter": key_filter,
        }

    return guarded("queries/query_trend", build)


@area.page("/slow-query-analysis", "Slow-query analysis")
def analysis() -> Response:
    """Patterns with what the data says about each (plan, selectivity, sorts, disk)."""

    def build() -> dict[str, Any]:
        answer = ask("analysis")
        rows = answer["patterns"]
        _tag(rows)
        return {"rows": rows, "counts": answer["findings"]}

    return guarded("queries/analysis", build)


def _tag(rows: list[dict[str, Any]]) -> None:
    """Add each pattern's family label and anomaly counts as `tags`."""
    families = ask("families", limit="500")
    labels = {f["family_id"]: f["label"] for f in families["families"]}
    anomalies = ask("anomalies")["by_pattern"]
    for row in rows:
        tags = []
        family = families["shape_family"].get(row["key"])
        if family in labels:
            tags.append(("family", labels[family]))
        for kind, n in (anomalies.get(row["key"]) or {}).items():
            tags.append(("anomaly", f"{n} {kind.replace('_', ' ')}{'s' if n != 1 else ''}"))
        row["tags"] = tags


@area.page("/workload-summary", "Workload")
def workload() -> Response:
    """Share of total time per database, collection and op."""

    def build() -> dict[str, Any]:
        answer = ask("workload")
        return {
            "answer": answer,
            "charts": {
                "db": charts.donut(
                    answer["by_db"][:10],
                    "key",
                    "total_ms",
                    lambda r: link("queries.slow_queries", db=r["key"]),
                ),
                "collection": namespace_time(answer["by_collection"][:12]),
                "op": charts.donut(
                    answer["by_op"][:10],
                    "key",
                    "total_ms",
                    lambda r: link("queries.slow_queries", op=r["key"]),
                ),
            },
        }

    return guarded("queries/workload", build)


@area.page("/index-suggestions", "Index suggestions")
def index_suggestions() -> Response:
    """The advisor's index suggestions: createIndex commands with their evidence."""

    def build() -> dict[str, Any]:
        return {"answer": ask("index_suggestions")}

    return guarded("queries/index_suggestions", build)


@area.get("/export/<table>.<fmt>")
def export(table: str, fmt: str) -> Response:
    """The current filters' rows as CSV or JSON (up to EXPORT_ROWS)."""
    from loglake.web.api import json_response

    if fmt not in {"csv", "json"} or table not in {"slow-queries", "patterns", "analysis"}:
        return render("entry", status=404, error="unknown export", time_picker=False)
    if not has_data():
        rows: list[dict[str, Any]] = []
    elif table == "slow-queries":
        rows = ask("slow_queries", limit=str(EXPORT_ROWS), offset="0")["rows"]
    elif table == "analysis":
        rows = ask("analysis", limit=str(min(EXPORT_ROWS, 1000)))["patterns"]
    else:
        rows = ask("patterns", limit=str(EXPORT_ROWS))["rows"]
    name = f"loglake-{table}.{fmt}"
    response = json_response(rows) if fmt == "json" else Response(_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(rows: list[dict[str, Any]]) -> str:
    import orjson

    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v, orjson.dumps) for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any, dumps: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, dict | list):
        value = dumps(value).decode()
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
