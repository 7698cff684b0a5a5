"""Index suggestions from slow-query patterns, by the ESR rule (equality, sort, range).

A pattern is a candidate when it scanned the collection (COLLSCAN), examined more than
500 documents per execution beyond those it returned (the Atlas Performance Advisor's
rule), sorted in memory, or spilled to disk. Each of its predicates (one per `$or` branch)
gives index keys: equality fields ascending, then sort fields in their direction, then
range fields ascending. A suggestion is skipped when an index the plan already used serves
those keys; a suggestion served by a longer one on the same namespace is merged into it.

`confidence` (0-1) adds up the evidence, clipped to 0.05..0.95:
0.40 base; +0.25 when a covered pattern scanned the collection or examined >500 excess
documents per execution; +0.10 when the keys start with an equality; +0.10 x min(1,
executions / 10); +0.10 when no covered query has parts an index cannot serve or `$or`
branches; +0.05 when the keys remove an in-memory sort; otherwise -0.25 when fewer than
100 documents were examined per execution (the collection is small, a scan is cheap);
-0.15 when the keys hold only sort fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loglake.advisor.patterns import (
    QUERY_OPS,
    example_line,
    excess_per_execution,
    pattern_rows,
    system_reason,
)
from loglake.advisor.query import Extraction, Predicate, extract

if TYPE_CHECKING:
    from loglake.analytics.session import DuckSession, Session

EXCESS_LIMIT = 500  # docs examined - returned per execution (Atlas Performance Advisor)
SMALL_SCAN = 100  # docs examined per execution below which a scan is cheap
_INDEX_SCAN = re.compile(r"\b(?:IXSCAN|COUNT_SCAN|DISTINCT_SCAN)\s*\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# names `db.<name>` resolves to a method of the database, not a collection
_DB_METHODS = frozenset(
    {"aggregate", "auth", "help", "logout", "runCommand", "stats", "version", "watch"}
)

Keys = tuple[tuple[str, Any], ...]


@dataclass
class Shape:
    """Index keys split into their ESR parts, to test whether an index serves them."""

    equality: tuple[str, ...]
    sort: tuple[tuple[str, int], ...]
    range: tuple[str, ...]

    @classmethod
    def of(cls, pred: Predicate) -> Shape:
        """The ESR parts of a predicate's keys."""
        keys = pred.keys()
        n_eq = len(pred.equality)
        sort_names = {name for name, _ in pred.sort}
        sort = tuple(k for k in keys[n_eq:] if k[0] in sort_names)
        rest = keys[n_eq + len(sort) :]
        return cls(tuple(pred.equality), sort, tuple(name for name, _ in rest))

    def keys(self) -> Keys:
        """The keys in index order."""
        return tuple((n, 1) for n in self.equality) + self.sort + tuple((n, 1) for n in self.range)

    def served_by(self, index: Keys) -> bool:
        """True when an index with these leading keys answers the same (ESR-aware prefix)."""
        e, s, r = len(self.equality), len(self.sort), len(self.range)
        if len(index) < e + s + r:
            return False
        if {n for n, _ in index[:e]} != set(self.equality):
            return False
        part = index[e : e + s]
        if [n for n, _ in part] != [n for n, _ in self.sort]:
            return False
        same = all(d == want for (_, d), (_, want) in zip(part, self.sort, strict=True))
        flipped = all(d == -want for (_, d), (_, want) in zip(part, self.sort, strict=True))
        if not (same or flipped):
            return False
        return {n for n, _ in index[e + s : e + s + r]} == set(self.range)

    def prefix_of(self, index: Keys) -> bool:
        """True when an index's keys are a leading part of these keys."""
        return 0 < len(index) <= len(self.keys()) and self.keys()[: len(index)] == index


@dataclass
class Suggestion:
    """One index for one namespace and the patterns it would help."""

    row: dict[str, Any]
    shape: Shape
    patterns: dict[str, dict[str, Any]] = field(default_factory=dict)
    caveats: set[str] = field(default_factory=set)
    replaces: list[Keys] = field(default_factory=list)


def index_keys(plan_summary: str) -> list[Keys]:
    """The key patterns of the indexes a logged plan used: `IXSCAN { a: 1, b: -1 }`."""
    found: list[Keys] = []
    for body in _INDEX_SCAN.findall(plan_summary or ""):
        keys: list[tuple[str, Any]] = []
        for part in body.split(","):
            name, _, value = part.strip().rpartition(":")
            if not name:
                continue
            value = value.strip().strip('"')
            try:
                direction: Any = -1 if float(value) < 0 else 1
            except ValueError:
                direction = value  # "2dsphere", "text", "hashed"
            keys.append((name.strip().strip('"'), direction))
        found.append(tuple(keys))
    return found


def create_index_command(db: str, collection: str, keys: Keys) -> str:
    """The mongosh command that creates an index."""
    spec = ", ".join(f"{json.dumps(name)}: {direction}" for name, direction in keys)
    target = (
        f".{collection}"
        if _IDENTIFIER.match(collection) and collection not in _DB_METHODS
        else f".getCollection({json.dumps(collection)})"
    )
    return f"db.getSiblingDB({json.dumps(db)}){target}.createIndex({{{spec}}})"


def candidate_reasons(row: dict[str, Any]) -> list[str]:
    """Why a pattern may need an index (empty when it looks healthy)."""
    count, reasons = row["count"], []
    if row["collscans"]:
        reasons.append(f"a collection scan in {row['collscans']:,} of {count:,} executions")
    excess = excess_per_execution(row)
    if excess > EXCESS_LIMIT:
        reasons.append(f"{excess:,.0f} documents examined beyond those returned per execution")
    if row["in_memory_sorts"]:
        reasons.append(f"an in-memory sort in {row['in_memory_sorts']:,} executions")
    if row["disk_uses"]:
        reasons.append(f"spilling to disk in {row['disk_uses']:,} executions")
    return reasons


def suggest_indexes(session: DuckSession, params: dict[str, Any]) -> dict[str, Any]:
    """Index suggestions for the filtered slow queries, biggest impact first."""
    rows = pattern_rows(session, params)
    workload_ms = rows[0]["workload_ms"] if rows else 0.0
    found: dict[tuple[str, Keys], Suggestion] = {}
    not_indexable: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    candidates = 0
    for row in rows:
        if row["op"] not in QUERY_OPS or not candidate_reasons(row):
            continue
        candidates += 1
        extraction = extract(row["shape"])
        if extraction.not_indexable:
            not_indexable.append({**_pattern_ref(row), "reasons": extraction.not_indexable})
        reason = system_reason(row)
        if reason is None and not extraction.predicates:
            reason = (
                "no condition of the query can use an index (see not_indexable)"
                if extraction.not_indexable
                else "the query has no filter or sort an index could serve"
            )
        if reason is not None:
            skipped.append({**_pattern_ref(row), "keys": None, "reason": reason})
            continue
        _add_predicates(row, extraction, found, skipped)
    merged = _drop_prefixes(list(found.values()))
    suggestions = [_render(session, s, workload_ms) for s in merged]
    suggestions.sort(key=lambda s: (-s["impact_ms"], s["namespace"], str(s["keys"])))
    return {
        "suggestions": suggestions[: params.get("limit") or len(suggestions)],
        "not_indexable": not_indexable,
        "skipped": skipped,
        "patterns_considered": len(rows),
        "candidates": candidates,
        "workload_ms": workload_ms,
    }


def _pattern_ref(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespace": row["namespace"],
        "op": row["op"],
        "shape_hash": row["key"],
        "shape": row["shape"],
        "executions": row["count"],
        "total_ms": row["total_ms"],
    }


def _add_predicates(
    row: dict[str, Any],
    extraction: Extraction,
    found: dict[tuple[str, Keys], Suggestion],
    skipped: list[dict[str, Any]],
) -> None:
    """Each predicate's keys as a suggestion, unless an index the plan used serves them."""
    used = [keys for plan in row["plan_summaries"] for keys in index_keys(plan)]
    healthy = (
        not row["collscans"]
        and not row["in_memory_sorts"]
        and excess_per_execution(row) <= EXCESS_LIMIT
    )
    for pred in extraction.predicates:
        shape = Shape.of(pred)
        if "_id" in shape.equality:
            continue  # the _id index answers it already
        keys = shape.keys()
        reason = _served(shape, used, healthy)
        if reason is not None:
            skipped.append({**_pattern_ref(row), "keys": [list(k) for k in keys], "reason": reason})
            continue
        entry = found.setdefault((row["namespace"], keys), Suggestion(row, shape))
        entry.patterns[row["key"]] = row
        if extraction.not_indexable:
            entry.caveats.add("not_indexable")
        if extraction.has_or:
            entry.caveats.add("or")


def _served(shape: Shape, used: list[Keys], healthy: bool) -> str | None:
    """Why an index the plan used makes a suggestion moot, else None."""
    serving = next((u for u in used if shape.served_by(u)), None)
    if serving is not None:
        return f"the plan already uses an index that serves it: {_spec(serving)}"
    prefix = next((u for u in used if shape.prefix_of(u)), None) if healthy else None
    if prefix is not None:
        return f"the plan uses {_spec(prefix)}, a prefix of it, and examines about what it returns"
    return None


def _drop_prefixes(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Merge each suggestion served by a longer one on its namespace into that one."""
    suggestions.sort(key=lambda s: -len(s.shape.keys()))
    kept: list[Suggestion] = []
    for s in suggestions:
        longer = [
            k
            for k in kept
            if k.row["namespace"] == s.row["namespace"] and s.shape.served_by(k.shape.keys())
        ]
        if not longer:
            kept.append(s)
            continue
        target = max(longer, key=lambda k: sum(r["total_ms"] for r in k.patterns.values()))
        target.patterns.update(s.patterns)
        target.caveats |= s.caveats
        target.replaces.append(s.shape.keys())
    return kept


def _spec(keys: Keys) -> str:
    return "{" + ", ".join(f"{name}: {direction}" for name, direction in keys) + "}"


def _render(session: Session, s: Suggestion, workload_ms: float) -> dict[str, Any]:
    """A suggestion as its JSON answer."""
    rows = sorted(s.patterns.values(), key=lambda r: (-r["total_ms"], r["key"] or ""))
    keys = s.shape.keys()
    totals = {
        name: sum(r[name] for r in rows)
        for name in (
            "count", "total_ms", "docs_examined", "keys_examined", "nreturned", "matched",
            "collscans", "in_memory_sorts", "disk_uses",
        )
    }  # fmt: skip
    plans: dict[str, int] = {}
    for r in rows:
        for plan, n in r["plan_summaries"].items():
            plans[plan] = plans.get(plan, 0) + n
    impact = round(totals["total_ms"], 3)
    return {
        "namespace": s.row["namespace"],
        "db": s.row["db"],
        "collection": s.row["collection"],
        "keys": [list(k) for k in keys],
        "command": create_index_command(s.row["db"], s.row["collection"], keys),
        "rationale": _rationale(s, totals, impact, workload_ms),
        "confidence": _confidence(s, totals),
        "impact_ms": impact,
        "share": round(impact / workload_ms, 4) if workload_ms else 0.0,
        "evidence": {
            "executions": totals["count"],
            "docs_examined": totals["docs_examined"],
            "keys_examined": totals["keys_examined"],
            "nreturned": totals["nreturned"],
            "collscans": totals["collscans"],
            "in_memory_sorts": totals["in_memory_sorts"],
            "disk_uses": totals["disk_uses"],
            "examined_per_returned": round(totals["docs_examined"] / max(totals["matched"], 1), 2),
            "plans": dict(sorted(plans.items(), key=lambda kv: (-kv[1], kv[0]))),
            "first_ts": min(r["first_ts"] or "" for r in rows) or None,
            "last_ts": max(r["last_ts"] or "" for r in rows) or None,
            "example": example_line(session, rows[0]),
        },
        "patterns": [
            {
                "shape_hash": r["key"],
                "op": r["op"],
                "shape": r["shape"],
                "executions": r["count"],
                "total_ms": r["total_ms"],
            }
            for r in rows
        ],
        "replaces": [[list(k) for k in keys] for keys in s.replaces],
    }


def _confidence(s: Suggestion, totals: dict[str, Any]) -> float:
    """The formula in the module docstring."""
    count = max(totals["count"], 1)
    strong = any(
        r["collscans"] or excess_per_execution(r) > EXCESS_LIMIT for r in s.patterns.values()
    )
    score = 0.40 + (0.25 if strong else 0.0)
    score += 0.10 if s.shape.equality else 0.0
    score += 0.10 * min(1.0, totals["count"] / 10)
    score += 0.0 if s.caveats else 0.10
    removes_sort = bool(s.shape.sort and totals["in_memory_sorts"])
    score += 0.05 if removes_sort else 0.0
    score -= 0.25 if totals["docs_examined"] / count < SMALL_SCAN and not removes_sort else 0.0
    score -= 0.15 if not s.shape.equality and not s.shape.range else 0.0
    return round(min(max(score, 0.05), 0.95), 2)


def _rationale(s: Suggestion, totals: dict[str, Any], impact: float, workload_ms: float) -> str:
    """Plain English, citing the numbers."""
    count = totals["count"]
    patterns = len(s.patterns)
    what = f"{_n(patterns, 'query pattern')} on {s.row['namespace']}"
    facts = [_n(count, "slow execution")]
    if totals["collscans"]:
        facts.append(_n(totals["collscans"], "collection scan"))
    facts.append(
        f"{totals['docs_examined']:,} documents examined to return {totals['nreturned']:,}"
    )
    if totals["in_memory_sorts"]:
        facts.append(_n(totals["in_memory_sorts"], "in-memory sort"))
    if totals["disk_uses"]:
        facts.append(_n(totals["disk_uses"], "spill") + " to disk")
    parts = []
    if s.shape.equality:
        parts.append("equality on " + ", ".join(s.shape.equality))
    if s.shape.sort:
        parts.append("the sort on " + ", ".join(f"{n} ({d})" for n, d in s.shape.sort))
    if s.shape.range:
        parts.append("the range on " + ", ".join(s.shape.range))
    share = f" ({100 * impact / workload_ms:.1f}% of the slow-query time)" if workload_ms else ""
    text = (
        f"{what}: {'; '.join(facts)}. An index on {_spec(s.shape.keys())} serves "
        f"{', then '.join(parts)} (equality, sort, range order). They took {impact:,.0f} ms"
        f"{share}."
    )
    if "not_indexable" in s.caveats:
        text += " Parts of the filter cannot use an index (see not_indexable)."
    if "or" in s.caveats:
        text += " Each $or branch needs its own index."
    if s.replaces:
        text += " It also serves " + ", ".join(_spec(k) for k in s.replaces) + "."
    return text


def _n(count: int, noun: str) -> str:
    """`1 collection scan`, `3 collection scans`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
