"""Heuristics on how a pattern was executed: scans, sorts, selectivity, disk, yields, plans.

Each rule takes a pattern row (advisor_patterns.sql) and its shape's Extraction, and
returns a Finding or None. Thresholds are module constants so the docs can cite them.
"""

from __future__ import annotations

from typing import Any

from loglake.advisor.findings import Finding, Severity
from loglake.advisor.patterns import excess_per_execution
from loglake.advisor.query import Extraction

SCAN_HIGH, SCAN_MEDIUM, SCAN_LOW = 10_000, 1_000, 100  # documents examined per execution
EXCESS_LIMIT = 500  # examined - returned per execution (Atlas Performance Advisor)
RATIO_LOW, RATIO_MEDIUM, RATIO_HIGH = 10, 100, 1_000  # examined per returned
YIELDS_LOW, YIELDS_MEDIUM = 100, 1_000  # yields per execution
REPLAN_SHARE = 0.1  # replanned executions above which replanning is a medium finding


def _per(value: float, count: int) -> float:
    return value / max(count, 1)


def _base(row: dict[str, Any]) -> dict[str, Any]:
    return {"executions": row["count"], "total_ms": row["total_ms"]}


def collection_scan(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """COLLSCAN: every document read; severity by documents examined per execution."""
    if not row["collscans"]:
        return None
    per = _per(row["docs_examined"], row["count"])
    if per >= SCAN_HIGH:
        severity = Severity.HIGH
    elif per >= SCAN_MEDIUM:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW if per >= SCAN_LOW else Severity.INFO
    return Finding(
        "collection_scan",
        severity,
        "Collection scan",
        f"{row['collscans']:,} of {row['count']:,} executions scanned the whole collection, "
        f"examining {per:,.0f} documents each on average. An index on the filter fields "
        "(see the index suggestions) lets MongoDB read only the matching documents.",
        {**_base(row), "collscans": row["collscans"], "docs_examined": row["docs_examined"],
         "docs_examined_per_execution": round(per, 1)},
    )  # fmt: skip


def unindexed_sort(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """An in-memory (blocking) sort: no index delivered the requested order."""
    sorts = row["in_memory_sorts"]
    if not sorts:
        return None
    share = sorts / max(row["count"], 1)
    return Finding(
        "unindexed_sort",
        Severity.MEDIUM if share >= 0.5 else Severity.LOW,
        "Sort in memory",
        f"{sorts:,} of {row['count']:,} executions sorted their results in memory (a "
        "blocking SORT stage, limited to 100 MB). An index whose keys follow the equality "
        "fields with the sort fields, in the sort's direction, returns them in order.",
        {**_base(row), "in_memory_sorts": sorts},
    )


def poor_selectivity(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """Far more documents examined than returned (or matched by a write)."""
    ratio = row["docs_examined"] / max(row["matched"], 1)
    excess = excess_per_execution(row)
    if ratio < RATIO_LOW or excess <= EXCESS_LIMIT:
        return None
    if ratio >= RATIO_HIGH:
        severity = Severity.HIGH
    else:
        severity = Severity.MEDIUM if ratio >= RATIO_MEDIUM else Severity.LOW
    return Finding(
        "poor_selectivity",
        severity,
        "Examines far more than it returns",
        f"{row['docs_examined']:,} documents examined to return {row['matched']:,} "
        f"({ratio:,.0f} per document returned, {excess:,.0f} wasted reads per execution). "
        "The index used (if any) does not narrow the search to the matching documents.",
        {**_base(row), "docs_examined": row["docs_examined"],
         "keys_examined": row["keys_examined"], "nreturned": row["nreturned"],
         "examined_per_returned": round(ratio, 2)},
    )  # fmt: skip


def disk_use(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """A sort or group that spilled to disk."""
    spills = row["disk_uses"]
    if not spills:
        return None
    share = spills / max(row["count"], 1)
    return Finding(
        "disk_use",
        Severity.HIGH if share >= 0.5 else Severity.MEDIUM,
        "Spilled to disk",
        f"{spills:,} of {row['count']:,} executions exceeded the memory limit of a sort or "
        "group stage and wrote temporary files. Filter earlier, sort on an index, or "
        "project fewer fields.",
        {**_base(row), "disk_uses": spills},
    )


def many_yields(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """Many yields per execution: a long scan or contention with writers."""
    per = _per(row["num_yields"], row["count"])
    if per < YIELDS_LOW:
        return None
    return Finding(
        "many_yields",
        Severity.MEDIUM if per >= YIELDS_MEDIUM else Severity.LOW,
        "Yields often",
        f"{per:,.0f} yields per execution ({row['num_yields']:,} in all): the operation ran "
        "long enough to give up its locks again and again, usually a long scan.",
        {**_base(row), "num_yields": row["num_yields"], "yields_per_execution": round(per, 1)},
    )


def replanning(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """The plan cache entry was thrown away and the query planned again."""
    replans = row["replanned"]
    if not replans:
        return None
    share = replans / max(row["count"], 1)
    return Finding(
        "replanning",
        Severity.MEDIUM if share >= REPLAN_SHARE else Severity.LOW,
        "Replanned",
        f"{replans:,} of {row['count']:,} executions replanned: the cached plan did much "
        "worse than expected for these values. Competing indexes of similar quality, or "
        "skewed data, make the planner flip; an index that fits the query (ESR) settles it.",
        {**_base(row), "replanned": replans, "plans": row["plan_summaries"]},
    )


RULES = (collection_scan, unindexed_sort, poor_selectivity, disk_use, many_yields, replanning)
