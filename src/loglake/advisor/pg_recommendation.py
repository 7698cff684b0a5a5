"""The one shape every PostgreSQL advisor rule returns, what rules are given, and how index
candidates are checked (hypopg: kept only when they cut the plan cost enough).

Rules are modules (`pg_missing_index`, `pg_composite_index`, `pg_stale_stats`,
`pg_rewrite`, `pg_redundant_index`), each with `find(ctx) -> list[Recommendation]`.
Confidence keeps one order across types: missing > composite > stats > rewrite > redundant.
Recommendations are ranked by the time they would save: calls x mean_ms x improvement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from loglake.advisor.pg_columns import Usage
from loglake.advisor.pg_explain import Planned

CONFIDENCE = {
    "missing_index": 0.9,
    "composite_index": 0.8,
    "stats": 0.7,
    "rewrite": 0.5,
    "redundant_index": 0.4,
}
TYPES = tuple(CONFIDENCE)
MIN_TABLE_ROWS = 1000  # a seq scan of a smaller table is not worth an index


def rec_id_of(kind: str, target: str, query_id: str) -> str:
    """A stable id: the same finding in two snapshots has the same id."""
    text = f"{kind}|{target}|{query_id}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Recommendation:
    """One finding: what to do (DDL), why, how sure, what it risks, and the facts used."""

    type: str
    target: str
    ddl: str
    rationale: str
    risk: str
    evidence: dict[str, Any]
    query_id: str = ""
    confidence: float = 0.0
    before_cost: float | None = None
    after_cost: float | None = None
    improvement_pct: float | None = None
    saved_ms: float = 0.0

    def __post_init__(self) -> None:
        if not self.confidence:
            self.confidence = CONFIDENCE[self.type]

    @property
    def rec_id(self) -> str:
        """Stable across snapshots."""
        return rec_id_of(self.type, self.target, self.query_id)

    def row(self) -> dict[str, Any]:
        """The pg_recommendations columns it fills."""
        return {
            "rec_id": self.rec_id, "query_id": self.query_id, "type": self.type,
            "target": self.target, "ddl": self.ddl, "rationale": self.rationale,
            "confidence": round(self.confidence, 2), "risk": self.risk,
            "evidence": orjson.dumps(self.evidence).decode(), "before_cost": self.before_cost,
            "after_cost": self.after_cost, "improvement_pct": self.improvement_pct,
            "saved_ms": round(self.saved_ms, 3),
        }  # fmt: skip


@dataclass
class Stmt:
    """A statement of the snapshot, as the rules see it."""

    query_id: str
    fingerprint: str
    query: str
    op: str
    calls: int
    mean_ms: float
    total_ms: float
    usage: Usage
    planned: Planned | None = None
    plan: dict[str, Any] | None = None
    facts: dict[str, Any] | None = None


@dataclass
class Table:
    """A table of the catalog."""

    name: str
    rows: int
    size: int
    seq_scan: int
    idx_scan: int
    writes: int
    n_live: int
    n_mod_since_analyze: int
    last_analyzed: Any
    columns: list[str]
    counters: dict[str, int] = field(default_factory=dict)  # n_tup_ins, …, seq_tup_read


@dataclass
class Index:
    """An index of the catalog."""

    name: str
    table: str
    columns: list[str]
    unique: bool
    primary: bool
    partial: bool
    scans: int
    size: int
    definition: str


# (statement, [(table, columns), ...]) -> the plan cost with those hypothetical indexes
WhatIf = Callable[[Stmt, Sequence[tuple[str, Sequence[str]]]], float]


@dataclass
class Context:
    """Everything the rules read: one snapshot, and the hypopg check when it is available."""

    statements: list[Stmt]
    tables: dict[str, Table]
    indexes: list[Index]
    stats: dict[tuple[str, str], dict[str, Any]]
    whatif: WhatIf | None = None
    min_improvement_pct: float = 20.0
    notes: list[str] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)  # run_rules' answer

    def table(self, relation: str) -> Table | None:
        """A table by schema.table or a plan's bare relation name."""
        if relation in self.tables:
            return self.tables[relation]
        found = [t for name, t in self.tables.items() if name.rsplit(".", 1)[-1] == relation]
        return found[0] if len(found) == 1 else None

    def indexed(self, table: str, columns: Sequence[str]) -> Index | None:
        """An existing full index whose leading columns are these."""
        n = len(columns)
        for index in self.indexes:
            if index.table == table and not index.partial and index.columns[:n] == list(columns):
                return index
        return None


def check(
    ctx: Context, stmt: Stmt, table: str, columns: Sequence[str]
) -> tuple[float, float, float] | None:
    """(before, after, improvement %) of a hypothetical index, or None when hypopg is not
    there, the statement has no plan, or the cut is under the threshold."""
    if ctx.whatif is None or stmt.plan is None:
        return None
    before = float(stmt.plan["Plan"]["Total Cost"])
    try:
        after = ctx.whatif(stmt, [(table, columns)])
    except Exception as exc:  # noqa: BLE001  (psycopg errors: the candidate is only skipped)
        ctx.notes.append(f"{stmt.query_id}: hypothetical index on {table} failed: {exc}")
        return None
    pct = 100.0 * (before - after) / before if before > 0 else 0.0
    if pct < ctx.min_improvement_pct:
        return None
    return before, after, round(pct, 1)


def write_risk(table: Table, ncols: int) -> str:
    """Write overhead, lock and size of a new index on the table."""
    reads = table.seq_scan + table.idx_scan
    heavy = table.writes > max(reads, 1) * 2
    size_mb = max(table.rows, table.n_live) * (16 + 8 * ncols) / 1e6
    counted = f"{table.writes:,} rows written vs {reads:,} scans since the statistics reset"
    parts = [
        f"write-heavy ({counted}): every insert and update also maintains the index"
        if heavy
        else f"low write overhead ({counted})",
        "CONCURRENTLY builds without blocking writes (slower, cannot run in a transaction)",
        f"about {size_mb:.1f} MB",
    ]
    return "; ".join(parts)


def selectivity(ctx: Context, table: str, column: str) -> float | None:
    """The fraction of rows an equality on the column keeps (pg_stats), or None."""
    stats = ctx.stats.get((table, column))
    t = ctx.tables.get(table)
    if not stats or t is None:
        return None
    nd = stats.get("n_distinct") or 0.0
    rows = max(t.rows, t.n_live, 1)
    distinct = -nd * rows if nd < 0 else nd
    if distinct <= 0:
        return None
    freqs = stats.get("most_common_freqs") or []
    if freqs and len(freqs) >= distinct:
        return float(max(freqs))
    return max(1.0 / distinct, float(max(freqs)) if freqs else 0.0)


def rank(recs: list[Recommendation], statements: Sequence[Stmt]) -> list[Recommendation]:
    """Time saved (calls x mean_ms x improvement) first, then confidence."""
    by_id = {s.query_id: s for s in statements}
    for rec in recs:
        stmt = by_id.get(rec.query_id)
        if stmt is not None and rec.improvement_pct:
            rec.saved_ms = stmt.calls * stmt.mean_ms * rec.improvement_pct / 100.0
    return sorted(recs, key=lambda r: (-r.saved_ms, -r.confidence, r.rec_id))


def run_rules(ctx: Context) -> list[Recommendation]:
    """Every rule over the snapshot, ranked."""
    from loglake.advisor import (
        pg_composite_index,
        pg_missing_index,
        pg_redundant_index,
        pg_rewrite,
        pg_stale_stats,
    )

    found: list[Recommendation] = []
    for rule in (pg_missing_index, pg_composite_index, pg_stale_stats, pg_rewrite,
                 pg_redundant_index):  # fmt: skip
        found.extend(rule.find(ctx))
    return rank(found, ctx.statements)
