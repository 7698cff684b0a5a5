"""Rewrite: a correlated subquery, run once per row of the statement around it.

A scalar subquery in the select list or WHERE that reads a column of the outer query
(`(SELECT count(*) FROM orders o WHERE o.customer_id = c.id)`) becomes a join with the
subquery grouped once; `EXISTS` becomes a semi-join the planner can hash.
"""

from __future__ import annotations

from loglake.advisor.pg_columns import Correlated
from loglake.advisor.pg_recommendation import Context, Recommendation, Stmt


def _sketch(c: Correlated) -> str:
    inner = c.inner_table.rsplit(".", 1)[-1]
    outer = c.outer_table.rsplit(".", 1)[-1]
    if c.kind == "EXISTS_SUBLINK":
        return (
            f"-- EXISTS per row of {outer}: let the planner hash it\n"  # noqa: S608 (shown, never run)
            f"SELECT … FROM {outer} WHERE {outer}.{c.outer_column} IN "
            f"(SELECT {c.inner_column} FROM {inner})"
        )
    agg = c.aggregate or "count"
    value = "count(*)" if agg == "count" else f"{agg}(…)"
    return (
        f"-- one grouped pass over {inner} instead of one subquery per {outer} row\n"  # noqa: S608 (shown, never run)
        f"SELECT …, coalesce(s.value, 0) FROM {outer}\n"
        f"LEFT JOIN (SELECT {c.inner_column}, {value} AS value FROM {inner} "
        f"GROUP BY {c.inner_column}) s ON s.{c.inner_column} = {outer}.{c.outer_column}"
    )


def _one(stmt: Stmt, c: Correlated) -> Recommendation:
    subplans = (stmt.facts or {}).get("subplans", 0)
    return Recommendation(
        "rewrite", f"{c.outer_table}.{c.outer_column} ← {c.inner_table}.{c.inner_column}",
        _sketch(c),
        f"a correlated subquery on {c.inner_table} runs once for every row of "
        f"{c.outer_table} ({stmt.calls:,} calls, {stmt.mean_ms:.2f} ms each); a join with "
        "the subquery grouped once reads it a single time",
        "a rewrite changes the application's SQL: test that NULLs and missing rows give "
        "the same results (coalesce)",
        {"subquery": c.kind, "aggregate": c.aggregate, "inner": f"{c.inner_table}.{c.inner_column}",
         "outer": f"{c.outer_table}.{c.outer_column}", "subplans": subplans,
         "mean_ms": stmt.mean_ms, "calls": stmt.calls},
        query_id=stmt.query_id,
    )  # fmt: skip


def find(ctx: Context) -> list[Recommendation]:
    """One recommendation per correlated subquery of a statement."""
    return [_one(stmt, c) for stmt in ctx.statements for c in stmt.usage.correlated[:1]]
