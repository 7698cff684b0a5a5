"""Slow-query analysis: every heuristic rule run on every pattern, findings worst first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loglake.advisor import rules_plan, rules_query
from loglake.advisor.findings import Finding, Severity
from loglake.advisor.patterns import pattern_rows
from loglake.advisor.query import Extraction, extract

if TYPE_CHECKING:
    from loglake.analytics.session import DuckSession

Rule = Callable[[dict[str, Any], Extraction], Finding | None]
RULES: tuple[Rule, ...] = (*rules_plan.RULES, *rules_query.RULES)

# the columns of a pattern row an answer keeps (getmores: of cursors this shape opened)
_COLUMNS = (
    "key", "namespace", "op", "shape", "count", "total_ms", "avg_ms", "max_ms",
    "docs_examined", "keys_examined", "nreturned", "reslen", "max_reslen", "num_yields",
    "write_conflicts", "replanned", "in_memory_sorts", "disk_uses", "collscans", "getmores",
    "plan_summaries", "first_ts", "last_ts", "sample",
)  # fmt: skip


def findings(row: dict[str, Any], extraction: Extraction | None = None) -> list[Finding]:
    """Every rule's finding on one pattern row, worst first."""
    ext = extraction if extraction is not None else extract(row.get("shape"))
    found = [f for rule in RULES if (f := rule(row, ext)) is not None]
    return sorted(found, key=lambda f: f.severity.rank)


def analysis(session: DuckSession, params: dict[str, Any]) -> dict[str, Any]:
    """The busiest patterns of the filtered slow queries, each with its findings."""
    rows = pattern_rows(session, params, params.get("limit") or 50)
    workload_ms = rows[0]["workload_ms"] if rows else 0.0
    groups = rows[0]["groups"] if rows else 0
    counts = dict.fromkeys((s.value for s in Severity), 0)
    patterns = []
    for row in rows:
        found = findings(row)
        for f in found:
            counts[f.severity.value] += 1
        patterns.append(
            {
                **{name: row[name] for name in _COLUMNS},
                "share": round(row["total_ms"] / workload_ms, 4) if workload_ms else 0.0,
                "severity": found[0].severity.value if found else None,
                "findings": [f.as_dict() for f in found],
            }
        )
    return {
        "patterns": patterns,
        "groups": groups,
        "workload_ms": workload_ms,
        "findings": counts,
        "rules": [{"rule": rule.__name__, "summary": rule.__doc__} for rule in RULES],
    }
