"""The live advisor's answers from the lake: bottlenecks (the costliest statements of the
newest snapshot, why, and what to do) and one statement's detail over snapshots.

Both read only what `loglake pg collect` and `loglake pg simulate` stored (pg_statements,
pg_recommendations, pg_simulations), so they answer without a connection to the server.
"""

from __future__ import annotations

from typing import Any

import orjson

from loglake.advisor.pg_anomalies import families, tags
from loglake.analytics import sql
from loglake.errors import NotFoundError

PREVIEW = 200
SIMULATIONS_SHOWN = 50
_SIMULATION_JSON = ("plan_changes", "before_nodes", "after_nodes", "before_plan", "after_plan")
_NO_SNAPSHOT = "no PostgreSQL snapshot in this lake yet: run `loglake pg collect --dsn …` first"


def latest(cur: Any) -> dict[str, Any] | None:
    """The newest snapshot (id, time, server), or None."""
    rows = sql.fetch(cur, sql.load("pg_latest_snapshot"), [])
    return rows[0] if rows else None


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def _recs(cur: Any, snapshot_id: str) -> list[dict[str, Any]]:
    rows = sql.fetch(cur, sql.load("pg_snapshot_recommendations"), [snapshot_id])
    for r in rows:
        r["evidence"] = _json(r["evidence"])
    return rows


def reason(stmt: dict[str, Any], top: dict[str, Any] | None) -> str:
    """Why the statement costs: the plan's facts, in plain words."""
    facts = _json(stmt.get("plan_facts")) or {}
    parts = []
    for scan in facts.get("seq_scans", [])[:2]:
        parts.append(f"Seq Scan on {scan['relation']}"
                     + (f" (filter {scan['filter']})" if scan.get("filter") else ""))  # fmt: skip
    if facts.get("subplans"):
        parts.append(f"a subquery runs per row ({facts['subplans']} SubPlan)")
    if facts.get("sort_spill") or facts.get("hash_spill"):
        parts.append("a sort or hash spills to disk")
    skew = max(facts.get("misestimate") or 1, facts.get("log_misestimate") or 1)
    if skew >= 5:
        parts.append(f"row estimates off by {skew:.0f}x")
    if stmt.get("contention"):
        parts.append("contention suspected: waited on a lock")
    if not parts and top is not None:
        parts.append(top["rationale"].split(";")[0])
    head = f"{stmt['calls']:,} calls x {stmt['mean_ms']:.2f} ms = {stmt['total_ms']:,.0f} ms"
    return "; ".join([head, *parts])


def _row(stmt: dict[str, Any], recs: list[dict[str, Any]], anomalies: list[Any]) -> dict[str, Any]:
    top = recs[0] if recs else None
    return {
        "query_id": stmt["query_id"], "fingerprint": stmt["fingerprint"],
        "query": stmt["query"][:PREVIEW], "op": stmt["op"], "tables": stmt["tables"],
        "mean_ms": stmt["mean_ms"], "calls": stmt["calls"], "total_ms": stmt["total_ms"],
        "family": stmt["family"], "had_seq_scan": stmt["had_seq_scan"],
        "contention": stmt["contention"], "params_source": stmt["params_source"],
        "reason": reason(stmt, top), "anomalies": anomalies,
        "rec_id": top["rec_id"] if top else None, "type": top["type"] if top else None,
        "ddl": top["ddl"] if top else None, "confidence": top["confidence"] if top else None,
        "risk": top["risk"] if top else None,
        "improvement_pct": top["improvement_pct"] if top else None,
        "recommendations": recs[1:],
    }  # fmt: skip


def _by_query(recs: list[dict[str, Any]], stmts: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Each statement's findings, and the redundant indexes on the tables it reads or writes
    (every write maintains them)."""
    out: dict[str, list[dict[str, Any]]] = {s["query_id"]: [] for s in stmts}
    for rec in recs:
        if rec["query_id"] in out:
            out[rec["query_id"]].append(rec)
    redundant = [r for r in recs if r["type"] == "redundant_index"]
    for s in stmts:
        tables = set((s["tables"] or "").split(","))
        for rec in redundant:
            if (rec["evidence"] or {}).get("table") in tables:
                out[s["query_id"]].append(rec)
    return out


def bottlenecks(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The costliest statements of the newest snapshot, each with its reason and findings."""
    snap = latest(cur)
    if snap is None:
        return {"snapshot": None, "rows": [], "index_findings": [], "families": [],
                "total": 0, "message": _NO_SNAPSHOT}  # fmt: skip
    stmts = sql.fetch(cur, sql.load("pg_snapshot_statements"), [snap["snapshot_id"]])
    recs = _recs(cur, snap["snapshot_id"])
    history = sql.fetch(cur, sql.load("pg_statement_history"), [snap["server"]])
    anomaly = tags(stmts, history)
    per_query = _by_query(recs, stmts)
    rows = [_row(s, per_query[s["query_id"]], anomaly.get(s["query_id"], []))
            for s in stmts[: params["limit"]]]  # fmt: skip
    return {
        "snapshot": snap,
        "rows": rows,
        "index_findings": [r for r in recs if not r["query_id"]],
        "families": families(stmts)[:20],
        "total": len(stmts),
    }


def query_detail(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One statement: metrics over snapshots, plan facts, family, anomalies, findings."""
    snap = latest(cur)
    if snap is None:
        raise NotFoundError(_NO_SNAPSHOT)
    query_id = params["query_id"]
    stmts = sql.fetch(cur, sql.load("pg_snapshot_statements"), [snap["snapshot_id"]])
    stmt = next((s for s in stmts if s["query_id"] == query_id), None)
    if stmt is None:
        raise NotFoundError(f"no statement {query_id} in the newest snapshot")
    plan = sql.fetch(cur, sql.load("pg_statement_plan"), [snap["snapshot_id"], query_id])[0]
    history = sql.fetch(cur, sql.load("pg_statement_history"), [snap["server"]])
    recs = _by_query(_recs(cur, snap["snapshot_id"]), stmts)[query_id]
    return {
        "snapshot": snap,
        "statement": {**stmt, "plan_facts": _json(stmt["plan_facts"]),
                      "columns": _json(stmt["columns"]),
                      "reason": reason(stmt, recs[0] if recs else None)},
        "explain": {"sql": plan["explain_sql"], "params": _json(plan["params"]),
                    "params_source": plan["params_source"], "plan": _json(plan["plan"]),
                    "cost": plan["plan_cost"]},
        "history": [h for h in history if h["query_id"] == query_id],
        "anomalies": tags(stmts, history).get(query_id, []),
        "family": stmt["family"],
        "recommendations": recs,
        "simulations": simulations(cur, snap["server"], query_id),
    }  # fmt: skip


def simulations(cur: Any, server: str, query_id: str) -> list[dict[str, Any]]:
    """The stored simulations of one statement, replayed from the snapshots of a server
    (the snapshots' `server`), newest first."""
    values = [query_id, server, SIMULATIONS_SHOWN]
    rows = sql.fetch(cur, sql.load("pg_query_simulations"), values)
    for r in rows:
        for key in _SIMULATION_JSON:
            r[key] = _json(r[key])
    return rows
