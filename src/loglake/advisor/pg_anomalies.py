"""Families of live statements and their anomalies, with robust statistics.

Between snapshots: pg_stat_statements' counters are cumulative, so the mean of the calls
since the previous snapshot (Δtotal / Δcalls) is compared with the median of the means
the earlier snapshots showed; above `JUMP`x it is a `mean_jump`. Within a family (the
pglast tokens' label, `orders_join_2col`): a statement whose mean is more than `Z_LIMIT`
modified z-scores (median and MAD) above its family's is a `family_outlier`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

JUMP = 2.0
Z_LIMIT = 3.5
MIN_FAMILY = 3


def _interval_mean(points: list[dict[str, Any]]) -> float:
    last, prev = points[-1], points[-2]
    calls = last["calls"] - prev["calls"]
    total = last["total_ms"] - prev["total_ms"]
    if calls > 0 and total >= 0:
        return float(total / calls)
    return float(last["mean_ms"])  # statistics were reset in between: the latest mean


def jumps(history: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """query_id -> its mean_jump tag (when the latest interval's mean jumped)."""
    by_query: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for point in history:
        by_query[point["query_id"]].append(point)
    out = {}
    for query_id, points in by_query.items():
        if len(points) < 2:
            continue
        recent = _interval_mean(points)
        baseline = statistics.median(p["mean_ms"] for p in points[:-1])
        if baseline > 0 and recent > JUMP * baseline:
            out[query_id] = {
                "kind": "mean_jump",
                "label": f"mean {recent:.2f} ms since the last snapshot, "
                f"{recent / baseline:.1f}x its median {baseline:.2f} ms",
                "recent_ms": round(recent, 3),
                "median_ms": round(baseline, 3),
                "snapshots": len(points),
            }
    return out


def families(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The families of one snapshot: label, members, total time, and outliers tagged."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in statements:
        groups[s["family"] or "other"].append(s)
    out = []
    for label, members in groups.items():
        means = [m["mean_ms"] for m in members]
        outliers = []
        if len(members) >= MIN_FAMILY:
            median = statistics.median(means)
            mad = statistics.median(abs(x - median) for x in means)
            for m in members:
                if mad > 0 and 0.6745 * (m["mean_ms"] - median) / mad > Z_LIMIT:
                    outliers.append(m["query_id"])
        out.append({
            "family": label, "statements": len(members),
            "calls": sum(m["calls"] for m in members),
            "total_ms": round(sum(m["total_ms"] for m in members), 3),
            "median_mean_ms": round(statistics.median(means), 3), "outliers": outliers,
            "query_ids": [m["query_id"] for m in members],
        })  # fmt: skip
    return sorted(out, key=lambda f: (-f["total_ms"], f["family"]))


def tags(
    statements: list[dict[str, Any]], history: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """query_id -> its anomaly tags (mean_jump, family_outlier)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for query_id, tag in jumps(history).items():
        out[query_id].append(tag)
    for fam in families(statements):
        for query_id in fam["outliers"]:
            out[query_id].append({
                "kind": "family_outlier",
                "label": f"slower than the rest of {fam['family']} "
                f"(median {fam['median_mean_ms']:.2f} ms)",
            })  # fmt: skip
    return dict(out)
