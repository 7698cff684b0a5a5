"""The answer templates of `loglake ask` that diagnose slow queries, filled from the lake.

Each builder takes the `Facts` recorder and the question's `Subject`, asks the lake, records
every number it puts in the text as a fact (with the question and parameters it came from)
and returns `{"answer": text, "patterns": [...], "time_range": {...}, ...}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loglake.advisor.ask import Facts, Subject

_PATTERN_KEYS = (
    "key", "namespace", "op", "shape", "count", "total_ms", "avg_ms", "p95_ms", "max_ms",
    "plans", "docs_examined", "nreturned", "examined_per_returned", "in_memory_sorts",
    "first_ts", "last_ts", "sample",
)  # fmt: skip


def ms(value: float | None) -> str:
    """A duration for people: 350 ms, 12.3 s, 4.2 min, 1.5 h."""
    if value is None:
        return "n/a"
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if value >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f} ms"


def _ref(row: dict[str, Any]) -> dict[str, Any]:
    """A pattern row trimmed to what an answer cites."""
    return {k: row[k] for k in _PATTERN_KEYS if k in row}


def _plan(row: dict[str, Any]) -> tuple[str, str]:
    """(dominant plan, `COLLSCAN in 80 of 80 executions`) of a pattern row."""
    plans = row.get("plans") or {}
    if not plans:
        return "(none)", "no plan logged"
    name, n = next(iter(plans.items()))
    return name, f"{name} in {n:,} of {row['count']:,} executions"


def cite_range(first: str | None, last: str | None) -> dict[str, Any] | None:
    return {"from": first, "to": last} if first or last else None


def where_text(subject: Subject) -> str:
    """` on shop.orders`, ` of pattern …` or nothing."""
    if subject.namespace:
        return f" on {subject.namespace}"
    if subject.shape_hash:
        return f" of pattern {subject.shape_hash}"
    return ""


def _describe(row: dict[str, Any]) -> str:
    shape = row.get("shape") or ""
    shape = shape if len(shape) <= 160 else shape[:159] + "…"
    return f"{row.get('namespace')} {row.get('op')} {shape}".strip()


def _pattern_facts(facts: Facts, row: dict[str, Any], source: dict[str, Any]) -> str:
    """Record a pattern's numbers and say them in one sentence."""
    plan, plan_text = _plan(row)
    facts.add("pattern", row["key"], source)
    facts.add("pattern_executions", row["count"], source)
    facts.add("plan", plan, source)
    facts.add("pattern_avg_ms", row["avg_ms"], source)
    facts.add("pattern_p95_ms", row["p95_ms"], source)
    facts.add("docs_examined", row["docs_examined"], source)
    facts.add("nreturned", row["nreturned"], source)
    text = (
        f"{_describe(row)} had {row['count']:,} executions (avg {ms(row['avg_ms'])}, "
        f"p95 {ms(row['p95_ms'])}, plan {plan_text}) and examined "
        f"{row['docs_examined']:,} documents to return {row['nreturned']:,}"
    )
    if row.get("in_memory_sorts"):
        facts.add("in_memory_sorts", row["in_memory_sorts"], source)
        text += f"; it sorted in memory {row['in_memory_sorts']:,} times"
    return text + f" (first seen {row['first_ts']}, last {row['last_ts']})."


def _findings(facts: Facts, subject: Subject, keys: set[str]) -> str:
    """The heuristic findings of the given patterns, as a sentence (empty if none)."""
    found, source = facts.optional("analysis", {**subject.filters(), "limit": "1000"})
    titles: list[str] = []
    for pattern in found.get("patterns", []):
        key = pattern.get("shape_hash") or pattern.get("key")
        if key in keys:
            titles.extend(f.get("title", f.get("rule", "")) for f in pattern.get("findings", []))
    titles = list(dict.fromkeys(t for t in titles if t))[:5]
    if not titles:
        return ""
    facts.add("findings", titles, source)
    return " Findings: " + "; ".join(titles) + "."


def _suggestions(facts: Facts, subject: Subject, limit: int) -> list[dict[str, Any]]:
    """The subject's index suggestions, asked of the whole lake so `share` is of all time."""
    found, source = facts.optional("index_suggestions", {"limit": "500"})
    suggestions = [
        s
        for s in found.get("suggestions", [])
        if subject.namespace in (None, s["namespace"])
        and (not subject.shape_hash or subject.shape_hash in _shapes_of(s))
    ][:limit]
    for s in suggestions:
        facts.add("suggested_index", s.get("command"), source)
    return suggestions


def _shapes_of(suggestion: dict[str, Any]) -> set[str]:
    return {p.get("shape_hash") for p in suggestion.get("patterns", [])}


def slow_namespace(facts: Facts, subject: Subject) -> dict[str, Any]:
    """Why a namespace (or pattern, or the whole lake) is slow: its costliest pattern."""
    intro = ""
    if not subject.filters():
        overall, o_source = facts.ask("summary", {})
        if not overall["top_namespaces"]:
            return {"answer": "The lake holds no slow queries."}
        top = overall["top_namespaces"][0]  # by total time
        subject.namespace = facts.add("namespace", top["key"], o_source)
        intro = f"The costliest namespace is {top['key']}. "
    workload, w_source = facts.optional("workload", {})
    summary, s_source = facts.ask("summary", subject.filters())
    where = where_text(subject)
    if not summary["count"]:
        return {"answer": f"No slow queries are recorded{where}."}
    facts.add("executions", summary["count"], s_source)
    facts.add("total_ms", summary["total_duration_ms"], s_source)
    facts.add("p95_ms", summary["p95_ms"], s_source)
    facts.add("first_ts", summary["first_ts"], s_source)
    facts.add("last_ts", summary["last_ts"], s_source)
    facts.add("collscans", summary["collscans"], s_source)
    share = next(
        (r["share"] for r in workload.get("by_collection", []) if r["key"] == subject.namespace),
        None,
    )
    share_text = ""
    if share is not None and subject.namespace:
        facts.add("share", round(share, 4), w_source)
        share_text = f", {share:.0%} of all slow-query time"
    plan_counts = {p["key"] or "(none)": p["count"] for p in summary["top_plans"]}
    plans = ", ".join(f"{name} {n:,}" for name, n in list(plan_counts.items())[:3])
    facts.add("plans", plan_counts, s_source)
    text = (
        f"{intro}{summary['count']:,} slow executions{where} between {summary['first_ts']} and "
        f"{summary['last_ts']} took {ms(summary['total_duration_ms'])}{share_text} "
        f"(p95 {ms(summary['p95_ms'])}; plans: {plans}). "
    )
    found, p_source = facts.ask(
        "patterns", {**subject.filters(), "group_by": "shape", "sort": "total_ms", "limit": "3"}
    )
    rows = found["rows"]
    text += "The costliest pattern, " + _pattern_facts(facts, rows[0], p_source)
    text += _findings(facts, subject, {rows[0]["key"]})
    suggestions = _suggestions(facts, subject, 3)
    if suggestions:
        text += f" Suggested index: {suggestions[0]['command']} — {suggestions[0]['rationale']}"
    return {
        "answer": text.strip(),
        "patterns": [_ref(r) for r in rows],
        "time_range": cite_range(summary["first_ts"], summary["last_ts"]),
        "suggestions": suggestions,
    }


def index(facts: Facts, subject: Subject) -> dict[str, Any]:
    """Which indexes to add, from the index suggestions."""
    suggestions = _suggestions(facts, subject, 5)
    where = where_text(subject)
    if not suggestions:
        found, source = facts.ask("index_suggestions", {"limit": "500"})  # 503 on Polars
        facts.add("candidates", found.get("candidates"), source)
        return {
            "answer": f"No index suggestion{where}: a suggestion needs a collection scan, poor "
            "selectivity or an in-memory sort that no index the logged plans use already "
            f"serves ({found.get('candidates', 0):,} candidate patterns in the whole lake).",
            "suggestions": [],
        }
    lines = [
        f"{i}. {s['command']} — impact {ms(s['impact_ms'])} ({s['share']:.0%} of slow time), "
        f"confidence {s['confidence']:.2f}: {s['rationale']}"
        for i, s in enumerate(suggestions, 1)
    ]
    firsts = [s["evidence"].get("first_ts") for s in suggestions if s.get("evidence")]
    lasts = [s["evidence"].get("last_ts") for s in suggestions if s.get("evidence")]
    return {
        "answer": f"{len(suggestions)} index suggestion(s){where}, biggest impact first:\n"
        + "\n".join(lines),
        "suggestions": suggestions,
        "patterns": [p for s in suggestions for p in s.get("patterns", [])],
        "time_range": cite_range(
            min(filter(None, firsts), default=None), max(filter(None, lasts), default=None)
        ),
    }


def top_problems(facts: Facts, subject: Subject) -> dict[str, Any]:
    """The costliest patterns with their plans and findings, and how many anomalies."""
    found, source = facts.ask(
        "patterns", {**subject.filters(), "group_by": "shape", "sort": "total_ms", "limit": "3"}
    )
    rows = found["rows"]
    if not rows:
        return {"answer": f"No slow queries are recorded{where_text(subject)}."}
    parts = []
    for i, row in enumerate(rows, 1):
        plan, plan_text = _plan(row)
        facts.add(f"problem_{i}", {"pattern": row["key"], "total_ms": row["total_ms"],
                                   "executions": row["count"], "plan": plan}, source)  # fmt: skip
        parts.append(
            f"{i}. {_describe(row)}: {ms(row['total_ms'])} over {row['count']:,} executions, "
            f"plan {plan_text}"
        )
    text = "The costliest slow-query patterns:\n" + "\n".join(parts) + "\n"
    text += _findings(facts, subject, {r["key"] for r in rows}).strip()
    anomalies, a_source = facts.optional("anomalies", subject.filters())
    if anomalies:
        facts.add("slow_executions", anomalies["executions_total"], a_source)
        facts.add("spike_buckets", anomalies["buckets_total"], a_source)
        text += (
            f"\n{anomalies['executions_total']:,} executions ran far above their pattern's "
            f"median and {anomalies['buckets_total']:,} time buckets show a count or latency "
            "spike."
        )
    suggestions = _suggestions(facts, subject, 3)
    if suggestions:
        text += f" Top index suggestion: {suggestions[0]['command']}."
    firsts = [r["first_ts"] for r in rows if r["first_ts"]]
    lasts = [r["last_ts"] for r in rows if r["last_ts"]]
    return {
        "answer": text.strip(),
        "patterns": [_ref(r) for r in rows],
        "time_range": cite_range(min(firsts, default=None), max(lasts, default=None)),
        "suggestions": suggestions,
    }


def _spikes(buckets: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The spikes that date a slow-down: latency before count, the pattern's before others."""
    for own in (True, False):
        for kind in ("latency_spike", "count_spike"):
            found = [b for b in buckets if b["kind"] == kind and (b["shape_hash"] == key) == own]
            if found:
                return sorted(found, key=lambda b: b["bucket"])
    return []


def when_started(facts: Facts, subject: Subject) -> dict[str, Any]:
    """When the slow-down started: the earliest spike of the costliest pattern."""
    summary, s_source = facts.ask("summary", subject.filters())
    if not summary["count"]:
        return {"answer": f"No slow queries are recorded{where_text(subject)}."}
    facts.add("first_ts", summary["first_ts"], s_source)
    facts.add("last_ts", summary["last_ts"], s_source)
    found, p_source = facts.ask(
        "patterns", {**subject.filters(), "group_by": "shape", "sort": "total_ms", "limit": "1"}
    )
    top = found["rows"][0]
    facts.add("pattern", top["key"], p_source)
    facts.add("pattern_first_ts", top["first_ts"], p_source)
    anomalies, a_source = facts.optional("anomalies", {**subject.filters(), "limit": "1000"})
    spikes = _spikes(anomalies.get("buckets", []), top["key"])
    text = (
        f"Slow queries{where_text(subject)} were first logged at {summary['first_ts']} (last at "
        f"{summary['last_ts']}). The costliest pattern, {_describe(top)}, first appeared at "
        f"{top['first_ts']}."
    )
    if spikes:
        first = spikes[0]
        cited = ("kind", "shape_hash", "bucket", "value", "median", "mad", "score")
        facts.add("first_spike", {k: first[k] for k in cited}, a_source)
        unit = " executions" if first["kind"] == "count_spike" else " ms"
        text += (
            f" The earliest spike is a {first['kind'].replace('_', ' ')} of {first['namespace']} "
            f"{first['op']} in the {first['bucket_seconds'] // 60}-minute bucket starting "
            f"{first['bucket']}: {first['value']:,.0f}{unit} against a median of "
            f"{first['median']:,.0f} (score {first['score']})."
        )
    else:
        text += " No count or latency spike stands out (median and MAD per pattern)."
    return {
        "answer": text,
        "patterns": [_ref(top)],
        "time_range": cite_range(summary["first_ts"], summary["last_ts"]),
        "anomalies": spikes[:5],
    }


def anomalies(facts: Facts, subject: Subject) -> dict[str, Any]:
    """The strongest anomalies (median and MAD per pattern)."""
    found, source = facts.ask("anomalies", subject.filters())
    facts.add("slow_executions", found["executions_total"], source)
    facts.add("spike_buckets", found["buckets_total"], source)
    top = sorted(found["executions"][:3] + found["buckets"][:3], key=lambda a: -(a["score"] or 0))
    lines = []
    for a in top[:5]:
        when = a.get("ts") or a.get("bucket")
        lines.append(
            f"- {a['kind'].replace('_', ' ')}: {a['namespace']} {a['op']} at {when}: "
            f"{a['value']:,.0f} vs median {a['median']:,.0f} (MAD {a['mad']:,.1f}, "
            f"score {a['score']})"
        )
    text = (
        f"{found['executions_total']:,} executions ran far above their pattern's median and "
        f"{found['buckets_total']:,} time buckets show a spike (modified z-score > "
        f"{found['threshold']})" + (":\n" + "\n".join(lines) if lines else ".")
    )
    return {"answer": text, "anomalies": top[:5]}


# the slow-query diagnosis intents; answers_workload.py holds the others
BUILDERS: dict[str, Callable[[Facts, Subject], dict[str, Any]]] = {
    "slow_namespace": slow_namespace,
    "index": index,
    "top_problems": top_problems,
    "when_started": when_started,
    "anomalies": anomalies,
}
