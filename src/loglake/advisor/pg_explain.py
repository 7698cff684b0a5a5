"""EXPLAIN on a live server: which values a `$n` statement is planned with, the plan's facts,
hypothetical indexes (hypopg) that are always removed, and what changed between two plans.

pg_stat_statements keeps `$1` placeholders. A statement is planned with the values of the
lake's log example of the same fingerprint when there is one (`params_source = log`), else
with representative values from pg_stats — the most common value, else the middle of the
histogram — of the column each placeholder is compared with (`pg_stats`), else as the
generic plan (`generic`: PREPARE, then EXPLAIN EXECUTE with NULLs under
`plan_cache_mode = force_generic_plan`, PostgreSQL 15's way to GENERIC_PLAN).
Every EXPLAIN runs in a savepoint, so one failing statement never aborts a collection.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from loglake.advisor import pg_sql
from loglake.advisor.pg_columns import Usage
from loglake.formats.postgres.explain import json_plan

_PLACEHOLDER = re.compile(r"\$(\d+)")
_LOG_PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")
LIMIT_VALUE = "100"


@dataclass(frozen=True)
class Planned:
    """What EXPLAIN is given for one statement."""

    source: str  # log, pg_stats, generic, or none (the text has no placeholders)
    sql: str  # the text: the log's example, or the statement with its placeholders
    values: tuple[str | None, ...] | None  # None: the text has no placeholders


def _log_values(params: str, count: int) -> tuple[str | None, ...] | None:
    found = {int(n): (None if raw == "NULL" else val.replace("''", "'"))
             for n, raw, val in _LOG_PARAM.findall(params)}  # fmt: skip
    if not all(n in found for n in range(1, count + 1)):
        return None
    return tuple(found[n] for n in range(1, count + 1))


def _stats_value(stats: dict[str, Any] | None) -> str | None:
    if not stats:
        return None
    common = stats.get("most_common_vals") or []
    if common:
        return str(common[0])
    bounds = stats.get("histogram_bounds") or []
    return str(bounds[len(bounds) // 2]) if bounds else None


def placeholders(text: str) -> int:
    """The highest `$n` of a statement's text (0: none)."""
    return max((int(n) for n in _PLACEHOLDER.findall(text)), default=0)


def planned(
    text: str,
    usage: Usage,
    stats: dict[tuple[str, str], dict[str, Any]],
    example: tuple[str, str | None] | None,
) -> Planned:
    """How to EXPLAIN a statement: the log's example, pg_stats values, or the generic plan."""
    if example is not None:
        logged, params = example
        count = placeholders(logged)
        if count == 0:
            return Planned("log", logged, None)
        values = _log_values(params or "", count)
        if values is not None:
            return Planned("log", logged, values)
    count = placeholders(text)
    if count == 0:
        return Planned("none", text, None)  # nothing to fill in
    chosen: list[str | None] = []
    for n in range(1, count + 1):
        if n in usage.limit_params:
            chosen.append(LIMIT_VALUE)
        elif n in usage.params and (value := _stats_value(stats.get(usage.params[n]))) is not None:
            chosen.append(value)
        else:
            return Planned("generic", text, (None,) * count)
    return Planned("pg_stats", text, tuple(chosen))


def explain(conn: Any, plan: Planned, analyze: bool = False) -> dict[str, Any]:
    """EXPLAIN (FORMAT JSON) in a savepoint: the plan document (`Plan`, …)."""
    from psycopg import sql

    options = sql.SQL("(FORMAT JSON, ANALYZE, BUFFERS)" if analyze else "(FORMAT JSON)")
    if plan.values is None:
        with conn.transaction():
            query = sql.SQL("EXPLAIN {} {}").format(options, sql.SQL(plan.sql))  # type: ignore[arg-type]
            return _document(conn.execute(query).fetchone()[0])
    name = sql.Identifier(f"loglake_{uuid.uuid4().hex[:12]}")
    mode = "force_generic_plan" if plan.source == "generic" else "force_custom_plan"
    args = sql.SQL(", ").join(sql.SQL("NULL") if v is None else sql.Literal(v) for v in plan.values)
    try:
        with conn.transaction():
            conn.execute("SELECT set_config('plan_cache_mode', %s, true)", [mode])
            conn.execute(sql.SQL("PREPARE {} AS {}").format(name, sql.SQL(plan.sql)))  # type: ignore[arg-type]
            query = sql.SQL("EXPLAIN {} EXECUTE {}({})").format(options, name, args)
            return _document(conn.execute(query).fetchone()[0])
    finally:
        # a prepared statement outlives the savepoint's rollback: remove it in one of its own
        with contextlib.suppress(Exception), conn.transaction():
            conn.execute(sql.SQL("DEALLOCATE {}").format(name))


def _document(value: Any) -> dict[str, Any]:
    doc = orjson.loads(value) if isinstance(value, str | bytes) else value
    return dict(doc[0] if isinstance(doc, list) else doc)


def cost(doc: dict[str, Any]) -> float:
    """A plan's total cost."""
    return float(doc["Plan"]["Total Cost"])


def _nodes(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = [doc.get("Plan") or {}]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.get("Plans") or []))


def facts(doc: dict[str, Any]) -> dict[str, Any]:
    """Plan facts: seq scans (table, estimated rows, filter), joins, est vs actual rows,
    spills, parallel workers, index-only heap fetches (formats/postgres/explain.py + more)."""
    base = json_plan(orjson.dumps(doc).decode())
    seq, workers, heap, skew = [], 0, 0, 1.0
    for node in _nodes(doc):
        kind = node.get("Node Type")
        if kind == "Seq Scan" and node.get("Relation Name"):
            seq.append({
                "relation": node["Relation Name"], "est_rows": node.get("Plan Rows"),
                "filter": node.get("Filter"),
            })  # fmt: skip
        workers = max(workers, int(node.get("Workers Planned") or 0))
        heap += int(node.get("Heap Fetches") or 0)
        est, act = node.get("Plan Rows"), node.get("Actual Rows")
        if isinstance(est, int | float) and isinstance(act, int | float):
            skew = max(skew, max(est, act, 1) / max(min(est, act), 1))
    out: dict[str, Any] = {
        "seq_scans": seq,
        "joins": base.joins if base else [],
        "nodes": base.nodes if base else [],
        "est_rows": base.est_rows if base else None,
        "actual_rows": base.actual_rows if base else None,
        "sort": bool(base and base.sort),
        "sort_spill": bool(base and base.sort_spill),
        "hash_spill": bool(base and base.hash_spill),
        "parallel_workers": workers,
        "heap_fetches": heap,
        "misestimate": round(skew, 1),
        "cost": cost(doc),
    }
    return out


def node_labels(doc: dict[str, Any]) -> list[str]:
    """The plan's nodes top down: "Hash Join", "Seq Scan on orders", "Index Scan using i"."""
    out = []
    for node in _nodes(doc):
        label = str(node.get("Node Type", "?"))
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        if node.get("Relation Name"):
            label += f" on {node['Relation Name']}"
        out.append(label)
    return out


def _shape(doc: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    scans: dict[str, str] = {}
    joins: list[str] = []
    for node in _nodes(doc):
        kind = str(node.get("Node Type", ""))
        if node.get("Relation Name"):
            scans.setdefault(str(node["Relation Name"]), kind)
        elif kind in ("Hash Join", "Merge Join", "Nested Loop"):
            joins.append(kind)
    return scans, joins


def plan_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed: "Seq Scan → Index Scan on orders", "Nested Loop → Hash Join"."""
    (b_scans, b_joins), (a_scans, a_joins) = _shape(before), _shape(after)
    out = [
        f"{b_scans[rel]} → {a_scans[rel]} on {rel}"
        for rel in b_scans
        if rel in a_scans and a_scans[rel] != b_scans[rel]
    ]
    out += [f"{b} → {a}" for b, a in zip(b_joins, a_joins, strict=False) if a != b]
    return out


@contextmanager
def hypothetical(conn: Any, ddls: Sequence[str]) -> Iterator[list[int]]:
    """Hypothetical indexes (hypopg) for the block; `hypopg_reset()` in a finally, and the
    connection closed when even that fails (they live only as long as its backend)."""
    made: list[int] = []
    try:
        for ddl in ddls:
            with conn.transaction():
                made.append(int(conn.execute(pg_sql.HYPO_CREATE, [ddl]).fetchone()[0]))
        yield made
    finally:
        try:
            conn.execute(pg_sql.HYPO_RESET)
        except Exception:  # noqa: BLE001  (a broken or aborted connection: end the backend)
            conn.close()


def hypothetical_count(conn: Any) -> int:
    """How many hypothetical indexes this session holds."""
    return int(conn.execute(pg_sql.HYPO_LIST).fetchone()[0])


def index_ddl(table: str, columns: Sequence[str], concurrently: bool = True) -> str:
    """CREATE INDEX [CONCURRENTLY] ON table (columns): identifiers quoted when they need it."""
    from psycopg import sql

    def ident(name: str) -> str:
        return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else sql.Identifier(name).as_string()

    target = ".".join(ident(part) for part in table.split("."))
    cols = ", ".join(ident(c) for c in columns)
    return f"CREATE INDEX{' CONCURRENTLY' if concurrently else ''} ON {target} ({cols})"
