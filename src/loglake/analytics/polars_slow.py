"""Slow-operation questions on the Polars engine: summary, patterns, slow_queries.

Each function mirrors its namesake in `slow.py` (and `sql/*.sql`): same keys, types, values
and order. Where SQL leaves a choice open (DuckDB's depends on how threads met the rows),
the choice here does not depend on the files' layout: a mode() tie goes to the smallest
value, and the `sample` of a pattern is, among its equally slow executions, the first
logged (by ts, then file_id, file_offset).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from loglake.analytics.polars_lake import (
    Snapshot,
    count_if,
    distinct,
    quantile,
    record,
    records,
    sort_limit,
)
from loglake.analytics.slow import GROUP_COLUMNS, rank_top, split_percentiles
from loglake.schema import Stream

_SLOW = Stream.SLOW_QUERIES
PERCENTILES = (0.5, 0.95, 0.99)

# the columns of sql/slow_list.sql, in order
LIST_COLUMNS = (
    "ts", "host", "namespace", "db", "collection", "op", "op_type", "plan", "plan_summary",
    "duration_ms", "docs_examined", "keys_examined", "nreturned", "reslen", "num_yields",
    "has_sort_stage", "used_disk", "app_name", "client_ip", "client_port", "user",
    "connection_id", "query_hash", "plan_cache_key", "shape", "shape_hash", "error_code",
    "error_name", "file_id", "file_offset", "line_length", "full_scan",
)  # fmt: skip


def _percentiles(column: str) -> pl.Expr:
    """SQL quantile_cont(column, [0.5, 0.95, 0.99]) AS percentiles."""
    return pl.concat_list(quantile(column, q) for q in PERCENTILES).alias("percentiles")


def summary(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """Totals, time range, percentiles, top plans, namespaces and ops (`slow.summary`)."""
    frame = snap.frame(_SLOW, params)
    totals = frame.select(
        count=pl.len(),
        total_duration_ms=pl.col("duration_ms").sum(),
        percentiles=_percentiles("duration_ms"),
        max_ms=pl.col("duration_ms").max(),
        first_ts=pl.col("ts").min(),
        last_ts=pl.col("ts").max(),
        namespaces=distinct("namespace"),
        patterns=distinct("shape_hash"),
        collscans=count_if(pl.col("full_scan")),
    )
    tops = {"plans": "plan", "namespaces": "namespace", "ops": "op"}
    grouped = [
        frame.group_by(pl.col(column).alias("key")).agg(
            count=pl.len(), total_ms=pl.col("duration_ms").sum()
        )
        for column in tops.values()
    ]
    first, *by_value = pl.collect_all([totals, *grouped])  # one scan shared by all four
    out = record(first)
    split_percentiles(out)
    for name, values in zip(tops, by_value, strict=True):
        out[f"top_{name}"] = rank_top(records(values))
    return out


def _mode(column: str) -> pl.Expr:
    """SQL mode(): the most common non-NULL value of a group; ties go to the smallest."""
    present = pl.col(column).is_not_null()
    ranked = (pl.col(f"_n_{column}").filter(present), pl.col(column).filter(present))
    return (
        pl.col(column).filter(present).sort_by(*ranked, descending=[True, False]).first()
    ).alias(column)


def _described(group_by: str) -> tuple[list[str], list[pl.Expr]]:
    """Columns to count for mode(), and a pattern's namespace/op/shape expressions."""
    key = GROUP_COLUMNS[group_by]
    if group_by == "shape":  # one shape_hash is one namespace, op and shape: any_value()
        return [], [pl.col(c).drop_nulls().min().alias(c) for c in ("namespace", "op", "shape")]
    counted = [c for c in ("namespace", "op", "shape") if c != key]
    exprs = [pl.col(c).first().alias(c) if c == key else _mode(c) for c in ("namespace", "op")]
    return counted, [*exprs, _mode("shape")]


def _sample() -> pl.Expr:
    """arg_max(struct(file_id, file_offset, line_length), duration_ms): the first slowest."""
    timed = pl.col("duration_ms").is_not_null()
    order = [pl.col(c).filter(timed) for c in ("duration_ms", "ts", "file_id", "file_offset")]
    return (
        pl.struct("file_id", "file_offset", "line_length")
        .filter(timed)
        .sort_by(*order, descending=[True, False, False, False], nulls_last=True)
        .first()
        .alias("sample")
    )


def patterns(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """Slow queries grouped by shape, queryHash, namespace, plan or app (`slow.patterns`)."""
    group_by = params["group_by"]
    key = GROUP_COLUMNS[group_by]
    frame = snap.frame(_SLOW, params)
    counted, described = _described(group_by)
    if counted:
        frame = frame.with_columns(pl.len().over(key, c).alias(f"_n_{c}") for c in counted)
    grouped = (
        frame.group_by(pl.col(key).alias("key"))
        .agg(
            pl.len().alias("count"),
            pl.col("duration_ms").sum().alias("total_ms"),
            pl.col("duration_ms").mean().alias("avg_ms"),
            pl.col("duration_ms").min().alias("min_ms"),
            pl.col("duration_ms").max().alias("max_ms"),
            _percentiles("duration_ms"),
            pl.col("docs_examined").sum(),
            pl.col("keys_examined").sum(),
            pl.col("nreturned").sum(),
            pl.col("plan").fill_null("(none)").value_counts(sort=False, name="n").alias("plans"),
            count_if(pl.col("has_sort_stage")).alias("in_memory_sorts"),
            count_if(pl.col("used_disk")).alias("disk_uses"),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
            *described,
            _sample(),
        )
        .with_columns(p95_ms=pl.col("percentiles").list.get(1))
        .collect()
    )
    sort = params["sort"]
    by, descending = [sort, "key"], [params["order"] == "desc", False]
    if sort == "key":
        by, descending = ["key"], [params["order"] == "desc"]
    page = sort_limit(grouped.lazy(), by, descending, params["limit"]).drop("p95_ms")
    rows = records(page)
    for row in rows:
        split_percentiles(row)
        # DuckDB's histogram() map is ordered by plan; the service then sorts by count
        counts = sorted((item["plan"], item["n"]) for item in row["plans"])
        row["plans"] = dict(sorted(counts, key=lambda kv: -kv[1]))
        row["examined_per_returned"] = round(row["docs_examined"] / max(row["nreturned"], 1), 2)
    return {"group_by": group_by, "groups": grouped.height, "rows": rows}


def slow_queries(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """One page of slow operations and the number the filters select (`slow.slow_queries`)."""
    frame = snap.frame(_SLOW, params)
    page = sort_limit(
        frame.select(LIST_COLUMNS),
        [params["sort"], "file_id", "file_offset"],
        [params["order"] == "desc", False, False],
        params["limit"],
        params["offset"],
    )
    total = frame.select(pl.len()).collect().item()
    return {
        "rows": records(page),
        "total": total,
        "limit": params["limit"],
        "offset": params["offset"],
    }
