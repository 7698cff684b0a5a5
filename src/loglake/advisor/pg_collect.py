"""`loglake pg collect`: one snapshot of a live PostgreSQL server, its findings, into the lake.

In one read-only transaction (rolled back at the end; every statement under
`statement_timeout`): pg_stat_statements (BEGIN/COMMIT/SET, DDL and catalog queries left
out), the catalog (cached), pg_stats of the columns the statements use, EXPLAIN of the top
K (ANALYZE only when asked, only for SELECT), a pg_locks/pg_stat_activity look for
contention, and the rules (advisor/pg_*.py) with hypopg checking index candidates. The
snapshot is committed as five streams (advisor/pg_store.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from loglake.advisor import pg_catalog, pg_sql
from loglake.advisor.pg_columns import usage_of
from loglake.advisor.pg_connect import (
    connect,
    has_extension,
    hint,
    require_extension,
    require_stats_rights,
    server_label,
)
from loglake.advisor.pg_explain import cost, explain, facts, hypothetical, index_ddl, planned
from loglake.advisor.pg_recommendation import Context, Stmt, WhatIf, run_rules
from loglake.config import Settings
from loglake.formats.postgres.fingerprint import statement_of
from loglake.schema import Stream

_TUNABLE = {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"}
_OWN = ("pg_stat_statements", "hypopg", "loglake_sandbox")
TEXT_LIMIT = 4096


def _statements(conn: Any, top: int, min_mean_ms: float) -> list[tuple[Any, ...]]:
    rows = conn.execute(pg_sql.STATEMENTS, [min_mean_ms, top * 3 + 50]).fetchall()
    out = []
    for r in rows:
        text = r[1] or ""
        facts_ = statement_of(text)
        if facts_.op not in _TUNABLE or facts_.is_system or not facts_.tables:
            continue  # boilerplate, catalog queries, set_config(): nothing to tune
        if any(w in text for w in _OWN):
            continue
        out.append((*r, facts_))
        if len(out) == top:
            break
    return out


def log_examples(
    settings: Settings, statements: Sequence[tuple[str, str]]
) -> dict[str, tuple[Any, ...]]:
    """query_id -> (executions in the lake, statement text, parameters, worst row skew of its
    auto_explain plans) of the log's slowest example of each (query_id, fingerprint): the
    lake's `slow_queries` rows (engine postgres) of the same pglast fingerprint or, when the
    log has it (`%Q`, csvlog, jsonlog), of the same queryid."""
    from loglake.advisor.pg_store import read
    from loglake.store.manifest import load_manifest

    streams = load_manifest(settings.root)["streams"]
    if not statements or not streams.get("slow_queries", {}).get("rows"):
        return {}
    ids, prints = [s[0] for s in statements], [s[1] for s in statements]
    out = {}
    for row in read(settings, "pg_log_examples", [ids, prints]):
        example = row["example"] or {}
        out[row["query_id"]] = (
            int(row["n"]),
            example.get("statement"),
            example.get("params"),
            row["skew"],
        )
    return out


def _locks(conn: Any) -> dict[str, str]:
    """fingerprint of a waiting statement -> the statement blocking it."""
    out: dict[str, str] = {}
    for waiting, blocking in conn.execute(pg_sql.LOCK_WAITS).fetchall():
        if waiting:
            out.setdefault(statement_of(waiting).shape_hash, (blocking or "")[:TEXT_LIMIT])
    return out


def _whatif(conn: Any) -> WhatIf:
    def run(stmt: Stmt, indexes: Sequence[tuple[str, Sequence[str]]]) -> float:
        assert stmt.planned is not None
        ddls = [index_ddl(t, cols, concurrently=False) for t, cols in indexes]
        with hypothetical(conn, ddls):
            return cost(explain(conn, stmt.planned))

    return run


def _explain_top(
    conn: Any, stmts: list[Stmt], k: int, stats: dict[Any, Any],
    examples: dict[str, tuple[Any, ...]], analyze: bool, notes: list[str],
) -> None:  # fmt: skip
    for stmt in stmts[:k]:
        example = examples.get(stmt.query_id)
        use = (example[1], example[2]) if example and example[1] else None
        if use and len(use[0]) >= TEXT_LIMIT:
            use = None  # cut short in the log: not a statement any more
        stmt.planned = planned(stmt.query, stmt.usage, stats, use)
        try:
            doc = explain(conn, stmt.planned, analyze=analyze and stmt.op == "SELECT")
        except Exception as exc:  # noqa: BLE001  (psycopg.Error: this statement only)
            notes.append(f"EXPLAIN of {stmt.query_id} failed: {str(exc).strip()}{hint(exc)}")
            stmt.planned = None
            continue
        stmt.plan, stmt.facts = doc, facts(doc)
        stmt.facts["subplans"] = orjson.dumps(doc).count(b'"SubPlan')
        if example and example[3]:  # the log's auto_explain plans had actual rows
            stmt.facts["log_misestimate"] = round(float(example[3]), 1)


def _snapshot(
    conn: Any, settings: Settings, server: str, top: int, explain_top: int,
    min_mean_ms: float, analyze: bool,
) -> tuple[Context, dict[str, Any]]:  # fmt: skip
    """Everything read from the server, in one read-only transaction (rolled back)."""
    hypo = has_extension(conn, "hypopg")
    notes: list[str] = []
    if not hypo:
        notes.append("hypopg is not installed: index candidates were not checked "
                     "(CREATE EXTENSION hypopg)")  # fmt: skip
    conn.read_only = True
    try:
        with conn.transaction(force_rollback=True):
            raw = _statements(conn, top, min_mean_ms)
            tables, indexes, cached = pg_catalog.catalog(conn, server, settings.pg_catalog_ttl_s)
            columns = {name: set(t.columns) for name, t in tables.items()}
            stmts = [
                Stmt(
                    r[0],
                    r[11].shape_hash,
                    r[1],
                    r[11].op,
                    int(r[2]),
                    float(r[4]),
                    float(r[3]),
                    usage_of(r[1], columns),
                )
                for r in raw
            ]
            pairs = {p for s in stmts[:explain_top] for p in s.usage.pairs()}
            stats = pg_catalog.column_stats(conn, server, pairs, settings.pg_catalog_ttl_s)
            examples = log_examples(settings, [(s.query_id, s.fingerprint) for s in stmts])
            _explain_top(conn, stmts, explain_top, stats, examples, analyze, notes)
            waits = _locks(conn)
            ctx = Context(stmts, tables, indexes, stats, _whatif(conn) if hypo else None,
                          float(settings.pg_min_improvement_pct), notes)  # fmt: skip
            ctx.recommendations = run_rules(ctx)
    finally:
        if not conn.closed:
            conn.read_only = False
    extra = {"raw": {r[0]: r for r in raw}, "examples": examples, "waits": waits,
             "catalog_cached": cached, "hypopg": hypo}  # fmt: skip
    return ctx, extra


def _base(snapshot: dict[str, Any], ts: int) -> dict[str, Any]:
    return {"ts": ts, "file_offset": 0, "line_length": 0, "captured_at": ts,
            "snapshot_id": snapshot["snapshot_id"], "server": snapshot["server"]}  # fmt: skip


def _statement_row(base: dict[str, Any], stmt: Stmt, extra: dict[str, Any]) -> dict[str, Any]:
    r = extra["raw"][stmt.query_id]
    example = extra["examples"].get(stmt.query_id)
    plan = stmt.planned
    return {
        **base, "query_id": stmt.query_id, "fingerprint": stmt.fingerprint,
        "query": stmt.query[:TEXT_LIMIT], "op": stmt.op, "tables": ",".join(stmt.usage.tables),
        "calls": stmt.calls, "total_ms": stmt.total_ms, "mean_ms": stmt.mean_ms,
        "stddev_ms": float(r[5] or 0), "rows": int(r[6] or 0), "shared_blks_hit": int(r[7]),
        "shared_blks_read": int(r[8]), "temp_blks_read": int(r[9]),
        "temp_blks_written": int(r[10]), "columns": stmt.usage.as_json(),
        "family": stmt.usage.family(), "explained": stmt.plan is not None,
        "params_source": plan.source if plan else None,
        "params": orjson.dumps(list(plan.values)).decode() if plan and plan.values else None,
        "explain_sql": plan.sql[:TEXT_LIMIT] if plan else None,
        "plan": orjson.dumps(stmt.plan).decode() if stmt.plan else None,
        "plan_cost": cost(stmt.plan) if stmt.plan else None,
        "plan_facts": orjson.dumps(stmt.facts).decode() if stmt.facts else None,
        "had_seq_scan": bool(stmt.facts and stmt.facts["seq_scans"]),
        "contention": extra["waits"].get(stmt.fingerprint),
        "log_examples": example[0] if example else 0,
    }  # fmt: skip


def _rows(
    ctx: Context, extra: dict[str, Any], snapshot: dict[str, Any], ts: int
) -> dict[Stream, list[dict[str, Any]]]:
    base = _base(snapshot, ts)
    recs = ctx.recommendations
    return {
        Stream.PG_STATEMENTS: [_statement_row(base, s, extra) for s in ctx.statements],
        Stream.PG_TABLES: [
            {**base, "table_name": t.name, "rows_estimate": t.rows, "size_bytes": t.size,
             "seq_scan": t.seq_scan, "idx_scan": t.idx_scan, "n_live_tup": t.n_live,
             "n_mod_since_analyze": t.n_mod_since_analyze, "columns": ",".join(t.columns),
             **t.counters,
             "last_analyzed": _us(t.last_analyzed)}
            for t in ctx.tables.values()
        ],
        Stream.PG_INDEXES: [
            {**base, "index_name": i.name, "table_name": i.table, "columns": ",".join(i.columns),
             "is_unique": i.unique, "is_primary": i.primary, "is_partial": i.partial,
             "idx_scan": i.scans, "size_bytes": i.size, "definition": i.definition}
            for i in ctx.indexes
        ],
        Stream.PG_COLUMN_STATS: [
            {**base, "table_name": t, "column_name": c, "null_frac": s["null_frac"],
             "n_distinct": s["n_distinct"], "correlation": s["correlation"],
             "most_common_vals": orjson.dumps(s["most_common_vals"]).decode(),
             "most_common_freqs": orjson.dumps(s["most_common_freqs"]).decode(),
             "histogram_bounds": orjson.dumps(s["histogram_bounds"]).decode()}
            for (t, c), s in sorted(ctx.stats.items())
        ],
        Stream.PG_RECOMMENDATIONS: [{**base, **rec.row()} for rec in recs],
    }  # fmt: skip


def _us(value: Any) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000)


def collect(
    settings: Settings,
    dsn: str | None = None,
    top: int = 100,
    explain_top: int = 20,
    min_mean_ms: float = 0.0,
    analyze: bool = False,
) -> dict[str, Any]:
    """Take one snapshot, run the rules, commit it; a report of what was found."""
    from loglake.advisor.pg_store import commit_snapshot

    started = time.perf_counter()
    with connect(dsn or settings.pg_dsn, settings.pg_statement_timeout_ms) as conn:
        require_extension(conn, "pg_stat_statements")
        require_stats_rights(conn)
        server = server_label(conn)
        ctx, extra = _snapshot(conn, settings, server, top, explain_top, min_mean_ms, analyze)
    read_s = time.perf_counter() - started
    ts = int(time.time() * 1_000_000)
    snapshot = {"snapshot_id": uuid.uuid4().hex[:12], "server": server, "captured_at": ts}
    rows = _rows(ctx, extra, snapshot, ts)
    version = commit_snapshot(settings, snapshot, rows)
    recs = ctx.recommendations
    return {
        **snapshot,
        "dataset_version": version,
        "statements": len(ctx.statements),
        "explained": sum(1 for s in ctx.statements if s.plan is not None),
        "params_sources": _count(s.planned.source for s in ctx.statements if s.planned),
        "tables": len(ctx.tables),
        "indexes": len(ctx.indexes),
        "column_stats": len(ctx.stats),
        "recommendations": len(recs),
        "by_type": _count(r.type for r in recs),
        "contention": sum(1 for s in ctx.statements if extra["waits"].get(s.fingerprint)),
        "catalog_cached": extra["catalog_cached"],
        "hypopg": extra["hypopg"],
        "notes": ctx.notes,
        "seconds": round(time.perf_counter() - started, 3),
        "read_seconds": round(read_s, 3),
    }


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return dict(sorted(out.items()))
