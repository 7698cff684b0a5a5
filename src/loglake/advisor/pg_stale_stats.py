"""Stale statistics and cardinality misestimates.

A table the top statements read is stale when many of its rows changed since the last
ANALYZE (or it was never analyzed), or when the planner's row count (reltuples) is far from
the live rows: `ANALYZE`. A plan whose estimated rows differ from the actual rows by
`SKEW`x or more on fresh statistics (`--analyze`'s plans, or the auto_explain plans of the
same statement in the lake's log) asks for a finer histogram on the column it filters
(`ALTER TABLE … SET STATISTICS`), or, for two equality columns of one table, extended
statistics (`CREATE STATISTICS … (dependencies)`).
"""

from __future__ import annotations

from loglake.advisor.pg_recommendation import MIN_TABLE_ROWS, Context, Recommendation, Stmt, Table

CHANGED_SHARE = 0.2  # rows changed since ANALYZE, as a share of the rows
SKEW = 5.0  # estimated vs actual rows


def _stale(table: Table) -> str | None:
    rows = max(table.rows, 0)
    if table.n_live < MIN_TABLE_ROWS and table.n_mod_since_analyze < MIN_TABLE_ROWS:
        return None
    if table.last_analyzed is None and table.n_live:
        return f"{table.name} was never analyzed ({table.n_live:,} live rows)"
    if table.n_mod_since_analyze >= CHANGED_SHARE * max(rows, table.n_live, 1):
        return (
            f"{table.n_mod_since_analyze:,} rows of {table.name} changed since its last "
            f"ANALYZE ({table.last_analyzed}); the planner still counts {rows:,} rows"
        )
    if rows and (table.n_live / rows >= 3 or rows / max(table.n_live, 1) >= 3):
        return f"the planner counts {rows:,} rows in {table.name}, the table has {table.n_live:,}"
    return None


def _costliest(ctx: Context, table: str) -> Stmt | None:
    using = [s for s in ctx.statements if table in s.usage.tables]
    return max(using, key=lambda s: s.total_ms, default=None)


def _misestimate(ctx: Context, stmt: Stmt) -> Recommendation | None:
    found = stmt.facts or {}
    # this EXPLAIN ANALYZE's (--analyze), or the log's auto_explain plans of the statement
    skew = max(found.get("misestimate") or 1.0, found.get("log_misestimate") or 1.0)
    if skew < SKEW:
        return None
    for table_name, used in stmt.usage.columns.items():
        eq = used.get("eq", [])
        table = ctx.tables.get(table_name)
        if table is None or not eq or _stale(table):
            continue
        if len(eq) >= 2:
            name = f"{table_name.rsplit('.', 1)[-1]}_{'_'.join(eq[:2])}_stats"
            ddl = (f"CREATE STATISTICS {name} (dependencies, ndistinct) ON {', '.join(eq[:2])} "
                   f"FROM {table_name}; ANALYZE {table_name};")  # fmt: skip
            target = f"{table_name}({', '.join(eq[:2])})"
        else:
            ddl = (f"ALTER TABLE {table_name} ALTER COLUMN {eq[0]} SET STATISTICS 1000; "
                   f"ANALYZE {table_name};")  # fmt: skip
            target = f"{table_name}({eq[0]})"
        return Recommendation(
            "stats", target, ddl,
            f"the plan's row estimates are off by {skew:.0f}x on fresh statistics: the "
            f"planner misjudges the filter on {', '.join(eq)}",
            "ANALYZE reads a sample and takes a light lock; more statistics make planning "
            "slightly slower",
            {"misestimate": skew, "table": table_name, "columns": eq,
             "from": "explain analyze" if (found.get("misestimate") or 1) >= SKEW
             else "the log's auto_explain plans"},
            query_id=stmt.query_id, confidence=0.65,
        )  # fmt: skip
    return None


def find(ctx: Context) -> list[Recommendation]:
    """ANALYZE for stale tables the statements use; finer statistics for misestimates."""
    out = []
    used = {t for s in ctx.statements for t in s.usage.tables}
    for name in sorted(used):
        table = ctx.tables.get(name)
        why = _stale(table) if table else None
        if table is None or why is None:
            continue
        stmt = _costliest(ctx, name)
        out.append(Recommendation(
            "stats", name, f"ANALYZE {name};",
            f"{why}: plans built on these statistics misjudge row counts",
            "ANALYZE reads a sample of the table and takes a SHARE UPDATE EXCLUSIVE lock "
            "(writes continue)",
            {"table": name, "rows_estimate": table.rows, "n_live_tup": table.n_live,
             "n_mod_since_analyze": table.n_mod_since_analyze,
             "last_analyzed": str(table.last_analyzed) if table.last_analyzed else None},
            query_id=stmt.query_id if stmt else "",
        ))  # fmt: skip
    for stmt in ctx.statements:
        rec = _misestimate(ctx, stmt)
        if rec is not None:
            out.append(rec)
    return out
