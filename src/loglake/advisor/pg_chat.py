"""`POST /api/pg/chat` and `loglake pg ask "…"`: answers built only from stored facts.

No language model: the question picks an intent by its words (why slow, which index, show
impact, what changed), the answer is a template filled from the lake's snapshots, and every
answer lists the facts it used ("plan captured at T, mean_ms Y, had_seq_scan=true").
"show impact" runs the simulation of the statement's top recommendation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from loglake.advisor.pg_bottlenecks import bottlenecks, latest, query_detail
from loglake.analytics import sql
from loglake.errors import InputError, NotFoundError

MAX_QUESTION = 500
CAN_ASK = (
    "why is query <id> slow?",
    "what index should I add?",
    "show impact (of query <id>'s top recommendation)",
    "what changed since yesterday?",
)
_INTENTS = (
    ("what_changed", re.compile(r"\b(changed?|since|yesterday|different|new)\b", re.I)),
    ("impact", re.compile(r"\b(impact|simulat\w*|before|after|prove)\b", re.I)),
    ("index", re.compile(r"\b(index|indexes|indices|ddl|add)\b", re.I)),
    ("why_slow", re.compile(r"\b(why|slow|cost\w*|bottleneck\w*|expensive)\b", re.I)),
)
_QUERY_ID = re.compile(r"-?\d{6,}")

Simulator = Callable[[str, str], dict[str, Any]]  # (query_id, rec_id) -> the simulation


def intent_of(question: str) -> str:
    """The intent a question asks for (can_ask when none fits)."""
    return next((name for name, pattern in _INTENTS if pattern.search(question)), "can_ask")


def _cite(stmt: dict[str, Any], snap: dict[str, Any]) -> str:
    return (
        f"plan captured at {snap['captured_at']}, query_id {stmt['query_id']}, "
        f"mean_ms {stmt['mean_ms']:.2f}, calls {stmt['calls']}, "
        f"had_seq_scan={str(bool(stmt['had_seq_scan'])).lower()}"
    )


def _pick(cur: Any, query_id: str | None) -> dict[str, Any]:
    if query_id:
        return query_detail(cur, {"query_id": query_id})
    rows = bottlenecks(cur, {"limit": 1})["rows"]
    if not rows:
        raise NotFoundError("no PostgreSQL snapshot in this lake yet: run `loglake pg collect`")
    return query_detail(cur, {"query_id": rows[0]["query_id"]})


def _why(cur: Any, query_id: str | None) -> tuple[str, list[str], str]:
    d = _pick(cur, query_id)
    stmt, snap = d["statement"], d["snapshot"]
    facts = [_cite(stmt, snap)]
    for scan in (stmt["plan_facts"] or {}).get("seq_scans", []):
        facts.append(f"Seq Scan on {scan['relation']} (estimated {scan['est_rows']} rows)")
    facts += [a["label"] for a in d["anomalies"]]
    top = d["recommendations"][0] if d["recommendations"] else None
    text = f"Statement {stmt['query_id']} ({stmt['query'][:80]}) is slow: {stmt['reason']}."
    if top:
        text += f" Top recommendation ({top['type']}): {top['rationale']}."
        facts.append(f"recommendation {top['rec_id']}: {top['ddl']}")
    return text, facts, stmt["query_id"]


def _index(cur: Any, query_id: str | None) -> tuple[str, list[str], str | None]:
    if query_id:
        recs = query_detail(cur, {"query_id": query_id})["recommendations"]
    else:
        recs = [
            r
            for row in bottlenecks(cur, {"limit": 50})["rows"]
            for r in ([row] if row["rec_id"] else [])
        ]
    recs = [r for r in recs if r["type"] in ("missing_index", "composite_index")]
    if not recs:
        return "No index would cut a plan's cost enough in the newest snapshot.", [], query_id
    top = recs[0]
    text = (
        f"Add {top['ddl']} — confidence {top['confidence']:.2f}, "
        f"{top['improvement_pct']:.0f}% lower plan cost. Risk: {top['risk']}."
    )
    facts = [
        f"recommendation {top['rec_id']} for query_id {top['query_id']}: "
        f"improvement_pct {top['improvement_pct']}"
    ]
    return text, facts, top["query_id"]


def _impact(
    cur: Any, query_id: str | None, simulate: Simulator | None
) -> tuple[str, list[str], str]:
    d = _pick(cur, query_id)
    recs = [
        r
        for r in d["recommendations"]
        if r["type"] in ("missing_index", "composite_index", "redundant_index")
    ]
    qid = d["statement"]["query_id"]
    if not recs:
        return f"Statement {qid} has no index recommendation to simulate.", [], qid
    if simulate is None:
        raise InputError("show impact needs a PostgreSQL server: pass --dsn or set LOGLAKE_PG_DSN")
    sim = simulate(qid, recs[0]["rec_id"])
    changes = ", ".join(sim["plan_changes"]) or "no node changed"
    text = (
        f"{recs[0]['ddl']} takes the plan cost of {qid} from {sim['before_cost']:,.1f} to "
        f"{sim['after_cost']:,.1f} ({sim['improvement_pct']:.0f}% less; {changes})."
    )
    facts = [
        f"simulation ({sim['mode']}) of {recs[0]['rec_id']}: before_cost "
        f"{sim['before_cost']}, after_cost {sim['after_cost']}"
    ]
    return text, facts, qid


def _changed(cur: Any) -> tuple[str, list[str], None]:
    snaps = sql.fetch(cur, sql.load("pg_snapshots"), [])
    if len(snaps) < 2:
        return "Only one snapshot so far: collect again later to compare.", [], None
    new, old = snaps[0], _day_before(snaps)
    now = {
        s["query_id"]: s
        for s in sql.fetch(cur, sql.load("pg_snapshot_statements"), [new["snapshot_id"]])
    }
    then = {
        s["query_id"]: s
        for s in sql.fetch(cur, sql.load("pg_snapshot_statements"), [old["snapshot_id"]])
    }
    appeared = [q for q in now if q not in then]
    slower = [
        q
        for q in now
        if q in then and then[q]["mean_ms"] > 0 and now[q]["mean_ms"] >= 2 * then[q]["mean_ms"]
    ]
    text = (
        f"Since {old['captured_at']}: {len(appeared)} new statements, {len(slower)} at least "
        f"twice as slow on average, {len([q for q in then if q not in now])} gone."
    )
    facts = [
        f"snapshot {new['snapshot_id']} at {new['captured_at']} vs "
        f"{old['snapshot_id']} at {old['captured_at']}"
    ]
    facts += [
        f"query_id {q}: mean_ms {then[q]['mean_ms']:.2f} → {now[q]['mean_ms']:.2f}"
        for q in slower[:5]
    ]
    return text, facts, None


def _day_before(snaps: list[dict[str, Any]]) -> dict[str, Any]:
    """The snapshot closest to a day before the newest (else the oldest)."""
    import datetime as dt

    newest = dt.datetime.fromisoformat(snaps[0]["captured_at"].replace("Z", "+00:00"))
    target = newest - dt.timedelta(days=1)
    earlier = snaps[1:]
    return min(
        earlier,
        key=lambda s: abs(
            dt.datetime.fromisoformat(s["captured_at"].replace("Z", "+00:00")) - target
        ),
    )


def chat(
    cur: Any, question: Any, query_id: str | None = None, simulate: Simulator | None = None
) -> dict[str, Any]:
    """A templated answer from the stored facts, with the facts it cites."""
    if not isinstance(question, str) or not question.strip() or len(question) > MAX_QUESTION:
        raise InputError(f'chat: send {{"question": "…"}} of 1 to {MAX_QUESTION} characters')
    if latest(cur) is None:
        raise NotFoundError("no PostgreSQL snapshot in this lake yet: run `loglake pg collect`")
    found = _QUERY_ID.search(question)
    query_id = query_id or (found.group(0) if found else None)
    intent = intent_of(question)
    qid: str | None
    if intent == "why_slow":
        text, facts, qid = _why(cur, query_id)
    elif intent == "index":
        text, facts, qid = _index(cur, query_id)
    elif intent == "impact":
        text, facts, qid = _impact(cur, query_id, simulate)
    elif intent == "what_changed":
        text, facts, qid = _changed(cur)
    else:
        text, facts, qid = "I can answer: " + "; ".join(CAN_ASK), [], query_id
    return {
        "question": question,
        "intent": intent,
        "answer": text,
        "facts": facts,
        "query_id": qid,
        "can_ask": list(CAN_ASK),
    }
