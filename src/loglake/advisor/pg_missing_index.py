"""Missing index: a sequential scan of a large table whose statement filters it selectively.

Candidates are single columns of the scanned table the statement compares with a value
(equality first, then ranges, then join keys), most selective first (pg_stats); each is
planned as a hypothetical index and the best one that cuts the cost enough is kept.
"""

from __future__ import annotations

from loglake.advisor.pg_explain import index_ddl
from loglake.advisor.pg_recommendation import (
    MIN_TABLE_ROWS,
    Context,
    Recommendation,
    Stmt,
    check,
    selectivity,
    write_risk,
)

MAX_CANDIDATES = 4


def _candidates(ctx: Context, stmt: Stmt, table: str) -> list[str]:
    used = stmt.usage.columns.get(table) or {}
    eq = sorted(used.get("eq", []), key=lambda c: selectivity(ctx, table, c) or 1.0)
    cols = [*eq, *used.get("range", []), *used.get("join", [])]
    seen: list[str] = []
    for col in cols:
        if col not in seen and ctx.indexed(table, [col]) is None:
            seen.append(col)
    return seen[:MAX_CANDIDATES]


def _one(ctx: Context, stmt: Stmt, scan: dict[str, object]) -> Recommendation | None:
    table = ctx.table(str(scan["relation"]))
    if table is None or max(table.rows, table.n_live) < MIN_TABLE_ROWS:
        return None
    best: tuple[str, tuple[float, float, float]] | None = None
    for col in _candidates(ctx, stmt, table.name):
        result = check(ctx, stmt, table.name, [col])
        if result is not None and (best is None or result[1] < best[1][1]):
            best = (col, result)
    if best is None:
        return None
    col, (before, after, pct) = best
    sel = selectivity(ctx, table.name, col)
    rows = max(table.rows, table.n_live)
    rationale = (
        f"Seq Scan on {table.name} ({rows:,} rows) for a filter on {col}"
        + (f" that keeps about {sel:.2%} of the rows" if sel is not None else "")
        + f"; an index on {col} cuts the plan cost from {before:,.0f} to {after:,.0f} "
        f"({pct:.0f}% less) over {stmt.calls:,} calls of {stmt.mean_ms:.2f} ms"
    )
    return Recommendation(
        "missing_index", f"{table.name}({col})", index_ddl(table.name, [col]) + ";",
        rationale, write_risk(table, 1),
        {"seq_scan": table.name, "table_rows": rows, "filter": scan.get("filter"),
         "column": col, "selectivity": sel, "calls": stmt.calls, "mean_ms": stmt.mean_ms,
         "before_cost": before, "after_cost": after},
        query_id=stmt.query_id, before_cost=before, after_cost=after, improvement_pct=pct,
    )  # fmt: skip


def find(ctx: Context) -> list[Recommendation]:
    """One recommendation per seq-scanned table of each explained statement."""
    out = []
    for stmt in ctx.statements:
        for scan in (stmt.facts or {}).get("seq_scans", []):
            rec = _one(ctx, stmt, scan)
            if rec is not None:
                out.append(rec)
    return out
