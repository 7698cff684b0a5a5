"""Questions about slow operations: summary, patterns, trend, list, workload, heatmap.

Each function takes a cursor (inside `Lake.snapshot()`) and parameters validated by
`params.parse_params`, and returns JSON-ready data.
"""

from __future__ import annotations

from typing import Any

from loglake.analytics import rollups, sql
from loglake.analytics.buckets import auto_width, bucket_width
from loglake.analytics.filters import where
from loglake.analytics.pages import fetch_page, page_source
from loglake.schema import Stream

TOP = 10

# group_by -> the column that identifies a pattern (closed set, see params.GROUP_KEYS)
GROUP_COLUMNS = {
    "shape": "shape_hash",
    "query_hash": "query_hash",
    "namespace": "namespace",
    "plan": "plan",
    "app": "app_name",
}

_SLOW = Stream.SLOW_QUERIES
_PERCENTILE_KEYS = ("p50_ms", "p95_ms", "p99_ms")
# sort columns computed inside the percentiles list (DuckDB lists count from 1)
_PATTERN_SORT_SQL = {"p95_ms": "percentiles[2]"}
_QUANTILES = (0.5, 0.95, 0.99)


def split_percentiles(row: dict[str, Any], suffix: str = "_ms") -> None:
    """Replace a row's `percentiles` list (p50, p95, p99) by three columns."""
    values = row.pop("percentiles") or [None, None, None]
    for name, value in zip(("p50", "p95", "p99"), values, strict=True):
        row[name + suffix] = value  # p50_ms ... (_PERCENTILE_KEYS) with the default suffix


def rank_top(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The TOP busiest of `{key, count, total_ms}` rows: by total time, count, then key."""
    values.sort(key=lambda r: (-r["total_ms"], -r["count"], r["key"] is None, r["key"] or ""))
    return values[:TOP]


def _top_values(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The grouping-sets rows of top_values.sql: three top lists and two distinct counts."""
    out: dict[str, list[dict[str, Any]]] = {"plans": [], "namespaces": [], "ops": []}
    shapes = 0
    for row in rows:
        if row["by_plan"]:
            name, key = "plans", row["plan"]
        elif row["by_namespace"]:
            name, key = "namespaces", row["namespace"]
        elif row["by_op"]:
            name, key = "ops", row["op"]
        else:  # a shape: only counted, as count(DISTINCT shape_hash) would
            shapes += row["shape_hash"] is not None
            continue
        out[name].append({"key": key, "count": row["count"], "total_ms": row["total_ms"]})
    return {
        "namespaces": sum(r["key"] is not None for r in out["namespaces"]),
        "patterns": shapes,
        **{f"top_{name}": rank_top(values) for name, values in out.items()},
    }


def summary(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Totals, time range, percentiles, top plans, namespaces and ops."""
    clause, values = where(_SLOW, params)
    if rollups.use(cur, params):
        pct, pct_values = rollups.percentiles(params, "g", "0 AS g", _QUANTILES)
        text = sql.render("rollup_summary", where=clause, percentiles=pct)
        out = sql.fetch_one(cur, text, [*pct_values, *values])
        out["percentiles"] = rollups.interpolate(out.pop("bounds"))
        top_rows = sql.fetch(cur, sql.render("rollup_top_values", where=clause), values)
    else:
        out = sql.fetch_one(cur, sql.render("summary", where=clause), values)
        top_rows = sql.fetch(cur, sql.render("top_values", where=clause), values)
    split_percentiles(out)
    out["first_ts"] = sql.iso(out["first_ts"])
    out["last_ts"] = sql.iso(out["last_ts"])
    top = _top_values(top_rows)
    collscans = out.pop("collscans")  # keys in the documented order (as the Polars engine)
    return {
        **{k: v for k, v in out.items() if k not in _PERCENTILE_KEYS},
        "namespaces": top.pop("namespaces"),
        "patterns": top.pop("patterns"),
        "collscans": collscans,
        **{k: out[k] for k in _PERCENTILE_KEYS},
        **top,
    }


def _pattern_columns(group_by: str) -> dict[str, str]:
    """Expressions for a pattern's namespace/op/shape: exact for shapes, most common otherwise."""
    if group_by == "shape":
        return {
            "namespace": "any_value(namespace)",
            "op": "any_value(op)",
            "shape": "any_value(shape)",
        }
    names = {"namespace": "namespace", "op": "op", "shape": "shape"}
    return {k: (v if GROUP_COLUMNS[group_by] == v else f"mode({v})") for k, v in names.items()}


def patterns(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Slow queries grouped by shape, queryHash, namespace, plan or app."""
    group_by = params["group_by"]
    key = GROUP_COLUMNS[group_by]
    clause, values = where(_SLOW, params)
    order = {
        "sort": _PATTERN_SORT_SQL.get(params["sort"], params["sort"]),
        "order": params["order"].upper(),
    }
    if rollups.use(cur, params, key=key):
        pct, pct_values = rollups.percentiles(params, "key", f"{key} AS key", _QUANTILES)
        text = sql.render("rollup_patterns", key=key, where=clause, percentiles=pct, **order)
        rows = sql.fetch(cur, text, [*values, *pct_values, params["limit"]])
        for row in rows:
            row["percentiles"] = rollups.interpolate(row.pop("bounds"))
    else:
        columns = _pattern_columns(group_by)
        text = sql.render("patterns", key=key, where=clause, **order, **columns)
        rows = sql.fetch(cur, text, [*values, params["limit"]])
    groups = rows[0]["groups"] if rows else 0
    for row in rows:
        del row["groups"]
        split_percentiles(row)
        row["first_ts"] = sql.iso(row["first_ts"])
        row["last_ts"] = sql.iso(row["last_ts"])
        row["plans"] = dict(sorted(row["plans"].items(), key=lambda kv: -kv[1]))
        row["examined_per_returned"] = round(row["docs_examined"] / max(row["nreturned"], 1), 2)
    return {"group_by": group_by, "groups": groups, "rows": rows}


def trend(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Per-bucket series of the top patterns, and a sample of executions for a scatter."""
    group_by = params["group_by"]
    key = GROUP_COLUMNS[group_by]
    clause, values = where(_SLOW, params)
    if params["bucket"] == "auto" and rollups.use(cur, params):
        width = auto_width(
            sql.fetch_one(cur, sql.render("rollup_trend_range", where=clause), values)
        )
    else:
        width = bucket_width(cur, _SLOW, clause, values, params["bucket"])
    top = patterns(cur, {**params, "sort": "total_ms", "order": "desc", "limit": params["top"]})
    keys = [row["key"] for row in top["rows"] if row["key"] is not None]
    series: list[dict[str, Any]] = []
    if keys:
        points: dict[Any, list[dict[str, Any]]] = {k: [] for k in keys}
        for row in _series(cur, params, key, width, keys):
            bucket_key = row.pop("key")
            row["t"] = sql.iso(row.pop("bucket_us"))
            points[bucket_key].append(row)
        for row in top["rows"]:
            if row["key"] in points:
                series.append(
                    {
                        "key": row["key"],
                        "label": _label(group_by, row),
                        "count": row["count"],
                        "total_ms": row["total_ms"],
                        "points": points[row["key"]],
                    }
                )
    sample: list[dict[str, Any]] = []
    if params["sample"]:
        text = sql.render("trend_sample", key=key, where=clause)
        sample = sql.fetch(cur, text, [*values, params["sample"]])
        for row in sample:
            row["ts"] = sql.iso(row["ts"])
    return {
        "group_by": group_by,
        "bucket_seconds": width // 1_000_000,
        "series": series,
        "sample": sample,
    }


def _series(
    cur: Any, params: dict[str, Any], key: str, width: int, keys: list[Any]
) -> list[dict[str, Any]]:
    """trend_series rows of the top keys: from the rollups for buckets of whole hours, else
    from the rows."""
    extra = (f"list_contains(?, {key})", (keys,))
    clause, values = where(_SLOW, params, *extra)
    bucketed = [width, width, *values]
    if not rollups.use(cur, params, key=key, bucket_us=width):
        return sql.fetch(cur, sql.render("trend_series", key=key, where=clause), bucketed)
    columns = f"{key} AS key, (epoch_us(ts) // ?) * ? AS bucket_us"
    group = "key, bucket_us"
    pct, pct_values = rollups.percentiles(params, group, columns, (0.95,), extra, by_hour=True)
    text = sql.render("rollup_trend_series", key=key, where=clause, percentiles=pct)
    rows = sql.fetch(cur, text, [*bucketed, width, width, *pct_values])
    for row in rows:
        found = rollups.interpolate(row["p95_ms"])
        row["p95_ms"] = found[0] if found else None
    return rows


def _label(group_by: str, row: dict[str, Any]) -> str:
    """A readable name for a pattern: its namespace, op and shape for shapes."""
    if group_by == "shape":
        return f"{row['namespace']} {row['op']} {row['shape'] or ''}".strip()
    return str(row["key"])


def slow_queries(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One page of slow operations and the number the filters select."""
    clause, values = where(_SLOW, params)
    newest = params["sort"] == "ts" and params["order"] == "desc"
    text = sql.render(
        "slow_list",
        source=page_source(_SLOW, newest, params),
        where=clause,
        sort=params["sort"],
        order=params["order"].upper(),
    )
    count = rollups.count_source(params) if rollups.use(cur, params, by_duration=True) else None
    return fetch_page(cur, _SLOW, text, clause, values, params, count=count)


def workload(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Share of total time per database, collection (namespace) and operation."""
    clause, values = where(_SLOW, params)
    rolled = rollups.use(cur, params)
    out: dict[str, Any] = {}
    for name, column in (("by_db", "db"), ("by_collection", "namespace"), ("by_op", "op")):
        text = sql.render("rollup_workload" if rolled else "workload", column=column, where=clause)
        out[name] = sql.fetch(cur, text, [*values, 100])
    if rolled:
        text = sql.render("rollup_summary", where=clause, percentiles="SELECT NULL AS bounds")
    else:
        text = sql.render("summary", where=clause)
    totals = sql.fetch_one(cur, text, values)
    out["count"] = totals["count"]
    out["total_ms"] = totals["total_duration_ms"]
    return out


def heatmap(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Count and total time per (UTC day, hour of day)."""
    clause, values = where(_SLOW, params)
    name = "rollup_heatmap" if rollups.use(cur, params) else "heatmap"
    cells = sql.fetch(cur, sql.render(name, where=clause), values)
    return {
        "timezone": "UTC",
        "days": sorted({c["day"] for c in cells}),
        "cells": cells,
    }
