"""Heuristics on what a pattern asks for: regexes, $where/$expr, skips, responses, cursors.

Each rule takes a pattern row (advisor_patterns.sql) and its shape's Extraction, and
returns a Finding or None.
"""

from __future__ import annotations

from typing import Any

from loglake.advisor.findings import Finding, Severity
from loglake.advisor.query import Extraction

MIB = 1024 * 1024
RESLEN_LOW, RESLEN_MEDIUM, RESLEN_HIGH = MIB // 4, MIB, 8 * MIB  # bytes per response
SKIP_MEDIUM = 1_000  # documents examined per execution above which a skip is expensive
GETMORE_MIN = 10  # getMores before a cursor counts as getMore-heavy
GETMORE_RATIO = 5  # getMores per opening command


def _base(row: dict[str, Any]) -> dict[str, Any]:
    return {"executions": row["count"], "total_ms": row["total_ms"]}


def large_response(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """Responses of a quarter megabyte or more: network time, and memory on both ends."""
    avg = row["reslen"] / max(row["count"], 1)
    biggest = row["max_reslen"] or 0
    if biggest >= RESLEN_HIGH:
        severity = Severity.HIGH
    elif avg >= RESLEN_MEDIUM:
        severity = Severity.MEDIUM
    elif avg >= RESLEN_LOW:
        severity = Severity.LOW
    else:
        return None
    return Finding(
        "large_response",
        severity,
        "Large responses",
        f"Responses average {avg / MIB:,.2f} MiB (largest {biggest / MIB:,.2f} MiB). "
        "Project only the fields the application reads, or page with a limit.",
        {**_base(row), "reslen": row["reslen"], "max_reslen": biggest,
         "avg_reslen": round(avg)},
    )  # fmt: skip


def unanchored_regex(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """A `$regex` without a `^prefix`: it reads every index key or document."""
    fields = [e["what"] for e in ext.not_indexable if e["what"].endswith("$regex")]
    if not fields:
        return None
    return Finding(
        "unanchored_regex",
        Severity.MEDIUM,
        "Regular expression without an anchored prefix",
        f"{', '.join(fields)}: a pattern that does not start with ^ (and a fixed prefix) "
        "cannot narrow an index scan. Anchor it, store a normalized field to match "
        "exactly, or use Atlas Search / a text index.",
        {**_base(row), "fields": fields},
    )


def where_expr(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """`$where` (JavaScript per document) or `$expr` (aggregation expressions)."""
    ops = [e["what"] for e in ext.not_indexable if e["what"] in ("$where", "$expr")]
    if not ops:
        return None
    return Finding(
        "where_expr",
        Severity.HIGH if "$where" in ops else Severity.MEDIUM,
        f"Uses {' and '.join(ops)}",
        f"The filter uses {' and '.join(ops)}, evaluated document by document; indexes "
        "cannot answer it. Rewrite it with query operators on fields ($eq, $gt, $in).",
        {**_base(row), "operators": ops},
    )


def skip_pagination(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """Paging with skip: every page reads and throws away all the earlier ones."""
    if not ext.has_skip:
        return None
    per = row["docs_examined"] / max(row["count"], 1)
    return Finding(
        "skip_pagination",
        Severity.MEDIUM if per >= SKIP_MEDIUM else Severity.LOW,
        "Pagination with skip",
        f"The query skips documents ({per:,.0f} examined per execution): deep pages "
        "read everything before them. Page by a range on the sort key instead "
        "(`{createdAt: {$lt: <last seen>}}`).",
        {**_base(row), "docs_examined": row["docs_examined"]},
    )


def write_conflicts(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """Write conflicts: concurrent writers on the same documents retry."""
    conflicts = row["write_conflicts"]
    if not conflicts:
        return None
    per = conflicts / max(row["count"], 1)
    return Finding(
        "write_conflicts",
        Severity.MEDIUM if per >= 1 else Severity.LOW,
        "Write conflicts",
        f"{conflicts:,} write conflicts in {row['count']:,} executions: writers updating "
        "the same documents (a hot counter, a shared status document) retry each other.",
        {**_base(row), "write_conflicts": conflicts},
    )


def getmore_heavy(row: dict[str, Any], ext: Extraction) -> Finding | None:
    """A cursor fetched in many slow getMore batches (small batches, or huge results)."""
    getmores = row["getmores"] or 0
    if row["op"] == "getMore":
        if row["count"] < GETMORE_MIN:
            return None
        detail = f"{row['count']:,} slow getMore batches continued cursors of this query"
    elif getmores >= GETMORE_MIN and getmores >= GETMORE_RATIO * row["count"]:
        detail = f"{getmores:,} slow getMore batches for {row['count']:,} slow executions"
    else:
        return None
    return Finding(
        "getmore_heavy",
        Severity.LOW,
        "Many getMore batches",
        f"{detail}: the results come back in many round trips. Raise the batch size, "
        "fetch fewer documents, or filter more on the server.",
        {**_base(row), "getmores": getmores},
    )


RULES = (large_response, unanchored_regex, where_expr, skip_pagination, write_conflicts,
         getmore_heavy)  # fmt: skip
