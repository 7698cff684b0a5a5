"""Composite index: the columns a statement filters and joins a table on, in one index.

Equality columns first (most selective first), then join keys, then one range column; the
candidate is kept when its hypothetical index cuts the plan cost enough and beats every
single column of it by a margin (else the missing-index finding says it all).
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

MAX_COLUMNS = 3
MARGIN = 0.9  # the composite's cost must be under 90% of the best single column's


def _columns(ctx: Context, stmt: Stmt, table: str) -> list[str]:
    used = stmt.usage.columns.get(table) or {}
    eq = sorted(used.get("eq", []), key=lambda c: selectivity(ctx, table, c) or 1.0)
    out: list[str] = []
    for col in [*eq, *used.get("join", []), *used.get("range", [])[:1]]:
        if col not in out:
            out.append(col)
    return out[:MAX_COLUMNS]


def _one(ctx: Context, stmt: Stmt, table_name: str) -> Recommendation | None:
    table = ctx.tables.get(table_name)
    cols = _columns(ctx, stmt, table_name)
    if table is None or len(cols) < 2 or max(table.rows, table.n_live) < MIN_TABLE_ROWS:
        return None
    if ctx.indexed(table_name, cols) is not None:
        return None
    result = check(ctx, stmt, table_name, cols)
    if result is None:
        return None
    before, after, pct = result
    singles = [check(ctx, stmt, table_name, [c]) for c in cols]
    best_single = min((s[1] for s in singles if s is not None), default=before)
    if after > best_single * MARGIN:
        return None
    used = stmt.usage.columns.get(table_name) or {}
    rationale = (
        f"{stmt.op} on {table_name} filters on {', '.join(used.get('eq', [])) or 'no equality'}"
        f" and joins on {', '.join(used.get('join', [])) or 'nothing'}: one index on "
        f"({', '.join(cols)}) cuts the plan cost from {before:,.0f} to {after:,.0f} "
        f"({pct:.0f}% less; the best single column reaches {best_single:,.0f})"
    )
    return Recommendation(
        "composite_index", f"{table_name}({', '.join(cols)})",
        index_ddl(table_name, cols) + ";", rationale, write_risk(table, len(cols)),
        {"table": table_name, "columns": cols, "eq": used.get("eq", []),
         "join": used.get("join", []), "range": used.get("range", []),
         "best_single_cost": best_single, "before_cost": before, "after_cost": after,
         "calls": stmt.calls, "mean_ms": stmt.mean_ms},
        query_id=stmt.query_id, before_cost=before, after_cost=after, improvement_pct=pct,
    )  # fmt: skip


def find(ctx: Context) -> list[Recommendation]:
    """One recommendation per (statement, table) with two or more usable columns."""
    out = []
    for stmt in ctx.statements:
        if stmt.plan is None:
            continue
        for table_name in stmt.usage.columns:
            rec = _one(ctx, stmt, table_name)
            if rec is not None:
                out.append(rec)
    return out
