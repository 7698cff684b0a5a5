"""The answer templates of `loglake ask` about the workload: apps, auth, namespaces, totals.

Like `answers.py`: each builder records every number it says as a fact with its source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loglake.advisor.answers import cite_range, ms, where_text

if TYPE_CHECKING:
    from loglake.advisor.ask import Facts, Subject


def slowest_app(facts: Facts, subject: Subject) -> dict[str, Any]:
    """Which application sends the slowest queries (average) and the costliest (total)."""
    base = {**subject.filters(), "group_by": "app", "limit": "5"}
    by_avg, a_source = facts.ask("patterns", {**base, "sort": "avg_ms"})
    by_total, t_source = facts.ask("patterns", {**base, "sort": "total_ms"})
    if not by_avg["rows"]:
        return {"answer": f"No slow queries are recorded{where_text(subject)}."}
    slow, busy = by_avg["rows"][0], by_total["rows"][0]
    name = slow["key"] or "(no app name)"
    facts.add("slowest_app", name, a_source)
    facts.add("slowest_app_avg_ms", slow["avg_ms"], a_source)
    facts.add("slowest_app_executions", slow["count"], a_source)
    facts.add("costliest_app", busy["key"] or "(no app name)", t_source)
    facts.add("costliest_app_total_ms", busy["total_ms"], t_source)
    text = (
        f"{name} sends the slowest queries: avg {ms(slow['avg_ms'])} (p95 "
        f"{ms(slow['p95_ms'])}) over {slow['count']:,} slow executions, mostly on "
        f"{slow['namespace']}. "
    )
    if busy["key"] == slow["key"]:
        text += f"It also costs the most time: {ms(busy['total_ms'])} in total."
    else:
        text += (
            f"By total time {busy['key'] or '(no app name)'} costs the most: "
            f"{ms(busy['total_ms'])} over {busy['count']:,} executions."
        )
    return {
        "answer": text,
        "apps": by_avg["rows"],
        "time_range": cite_range(slow["first_ts"], slow["last_ts"]),
    }


def auth_failures(facts: Facts, subject: Subject) -> dict[str, Any]:
    """Who fails to authenticate: users and client IPs with the most failures."""
    auth, source = facts.ask("auth_summary", {})
    facts.add("failures", auth["failure"], source)
    facts.add("successes", auth["success"], source)
    if not auth["failure"]:
        return {
            "answer": f"No failed authentication is recorded ({auth['success']:,} successes).",
            "time_range": cite_range(auth["first_ts"], auth["last_ts"]),
        }
    users = [r for r in auth["by_user"] if r["failure"]][:3]
    ips = [r for r in auth["by_ip"] if r["failure"]][:3]
    facts.add("users", {r["key"]: r["failure"] for r in users}, source)
    facts.add("client_ips", {r["key"]: r["failure"] for r in ips}, source)
    reasons = [r["key"] for r in auth["failure_reasons"][:2] if r["key"]]
    text = (
        f"{auth['failure']:,} authentication attempts failed ({auth['success']:,} succeeded) "
        f"between {auth['first_ts']} and {auth['last_ts']}. Users: "
        + ", ".join(f"{r['key']} ({r['failure']:,}, last {r['last_failure']})" for r in users)
        + ". Client IPs: "
        + ", ".join(f"{r['key']} ({r['failure']:,})" for r in ips)
        + "."
        + (f" Reasons: {'; '.join(reasons)}." if reasons else "")
    )
    return {
        "answer": text,
        "time_range": cite_range(auth["first_ts"], auth["last_ts"]),
        "users": users,
        "client_ips": ips,
    }


def busiest_namespace(facts: Facts, subject: Subject) -> dict[str, Any]:
    """The namespace with the most slow-query time."""
    workload, source = facts.ask("workload", {})
    rows = workload["by_collection"]
    if not rows:
        return {"answer": "The lake holds no slow queries."}
    top = rows[0]
    facts.add("namespace", top["key"], source)
    facts.add("total_ms", top["total_ms"], source)
    facts.add("executions", top["count"], source)
    facts.add("share", round(top["share"] or 0, 4), source)
    others = ", ".join(f"{r['key']} {r['share']:.0%}" for r in rows[1:4])
    return {
        "answer": f"{top['key']} is the busiest namespace: {ms(top['total_ms'])} of slow-query "
        f"time ({(top['share'] or 0):.0%}) over {top['count']:,} slow executions. Next: {others}.",
        "namespaces": rows[:10],
    }


def slowest_query(facts: Facts, subject: Subject) -> dict[str, Any]:
    """The single slowest operation, with its raw-line locator."""
    page, source = facts.ask(
        "slow_queries", {**subject.filters(), "sort": "duration_ms", "order": "desc", "limit": "1"}
    )
    if not page["rows"]:
        return {"answer": f"No slow queries are recorded{where_text(subject)}."}
    row = page["rows"][0]
    for name in ("duration_ms", "ts", "namespace", "plan_summary", "docs_examined", "nreturned"):
        facts.add(name, row[name], source)
    return {
        "answer": f"The slowest operation{where_text(subject)} took {ms(row['duration_ms'])} at "
        f"{row['ts']}: {row['op']} on {row['namespace']} ({row['shape'] or 'no shape'}), plan "
        f"{row['plan_summary'] or 'not logged'}, {row['docs_examined'] or 0:,} documents examined, "
        f"{row['nreturned'] or 0:,} returned, app {row['app_name'] or '(none)'}, client "
        f"{row['client_ip'] or '(unknown)'}.",
        "time_range": cite_range(row["ts"], row["ts"]),
        "sample": {k: row[k] for k in ("file_id", "file_offset", "line_length")},
    }


def overview(facts: Facts, subject: Subject) -> dict[str, Any]:
    """Totals, time range, percentiles, top namespace and plan."""
    summary, source = facts.ask("summary", subject.filters())
    for name in ("count", "total_duration_ms", "p50_ms", "p95_ms", "p99_ms", "first_ts",
                 "last_ts", "collscans"):  # fmt: skip
        facts.add(name, summary[name], source)
    top_ns = summary["top_namespaces"][0]["key"] if summary["top_namespaces"] else "(none)"
    top_plan = (summary["top_plans"][0]["key"] if summary["top_plans"] else None) or "(none)"
    facts.add("top_namespace", top_ns, source)
    facts.add("top_plan", top_plan, source)
    return {
        "answer": f"{summary['count']:,} slow operations{where_text(subject)} between "
        f"{summary['first_ts']} and {summary['last_ts']}, {ms(summary['total_duration_ms'])} in "
        f"total; p50 {ms(summary['p50_ms'])}, p95 {ms(summary['p95_ms'])}, p99 "
        f"{ms(summary['p99_ms'])}; {summary['collscans']:,} collection scans. Costliest "
        f"namespace {top_ns}, commonest plan by time {top_plan}.",
        "time_range": cite_range(summary["first_ts"], summary["last_ts"]),
    }


BUILDERS: dict[str, Callable[[Facts, Subject], dict[str, Any]]] = {
    "slowest_app": slowest_app,
    "auth_failures": auth_failures,
    "busiest_namespace": busiest_namespace,
    "slowest_query": slowest_query,
    "overview": overview,
}
