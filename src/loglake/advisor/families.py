"""Families of related query shapes: same namespace and field set, or similar tokens.

A shape's *fields* are the field names its filter and sort use (values and operators
ignored), so `{status: ?}` and `{status: {$in: [?]}}` sorted by `createdAt` are one
family. Families of one namespace whose token sets (op, fields, operators, sort keys) have
a Jaccard similarity of at least `similarity` are then merged, Drain-style: the family
keeps every field set it absorbed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from loglake.analytics.session import Session

MAX_PATTERNS = 10_000
MAX_MEMBERS = 20
_LOGICAL = ("$and", "$or", "$nor")
# pipeline stages after which $match/$sort no longer read the collection's own fields
_RESHAPING = frozenset({"$group", "$project", "$unwind", "$lookup", "$replaceRoot", "$facet"})


def _filter_fields(expr: Any, fields: list[str], operators: set[str]) -> None:
    """Field names (in order, once) and operators of a normalized filter."""
    if not isinstance(expr, dict):
        return
    for key, value in expr.items():
        if key.startswith("$"):
            operators.add(key)
            if key in _LOGICAL and isinstance(value, list):
                for branch in value:
                    _filter_fields(branch, fields, operators)
            continue
        if key not in fields:
            fields.append(key)
        if isinstance(value, dict):
            operators.update(k for k in value if k.startswith("$"))


def shape_fields(shape: dict[str, Any]) -> tuple[list[str], list[str], set[str]]:
    """(filter fields, sort fields, operators) of a normalized shape of any op."""
    fields: list[str] = []
    sort: list[str] = []
    operators: set[str] = set()
    for key in ("filter", "query"):
        _filter_fields(shape.get(key), fields, operators)
    for key in ("updates", "deletes"):
        statements = shape.get(key)
        for statement in statements if isinstance(statements, list) else ():
            if isinstance(statement, dict):
                _filter_fields(statement.get("q"), fields, operators)
    if isinstance(shape.get("sort"), dict):
        sort.extend(shape["sort"])
    pipeline = shape.get("pipeline")
    for stage in pipeline if isinstance(pipeline, list) else ():
        if not isinstance(stage, dict) or _RESHAPING.intersection(stage):
            break
        _filter_fields(stage.get("$match"), fields, operators)
        if isinstance(stage.get("$sort"), dict):
            sort.extend(k for k in stage["$sort"] if k not in sort)
    return fields, sort, operators


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Size of the intersection over size of the union (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


@dataclass
class _Family:
    namespace: str
    tokens: frozenset[str]
    field_sets: list[list[str]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)


def _tokens(op: str, fields: list[str], sort: list[str], operators: set[str]) -> frozenset[str]:
    return frozenset(
        [f"op:{op}", *(f"f:{f}" for f in fields), *(f"s:{s}" for s in sort), *operators]
    )


def _extend(target: list[str], values: list[str]) -> None:
    target.extend(v for v in values if v not in target)


def label(namespace: str, ops: list[str], fields: list[str], sort: list[str]) -> str:
    """`shop.orders find on {status, createdAt} sort priority`."""
    text = f"{namespace} {'/'.join(ops) or '?'} on {{{', '.join(fields)}}}"
    return text + (f" sort {', '.join(sort)}" if sort else "")


def _group(rows: list[dict[str, Any]], similarity: float) -> list[_Family]:
    """Exact (namespace, field set) families, then merged by token similarity."""
    exact: dict[tuple[str, frozenset[str]], _Family] = {}
    for row in rows:
        try:
            shape = orjson.loads(row["shape"]) if row.get("shape") else {}
        except orjson.JSONDecodeError:
            shape = {}
        fields, sort, operators = shape_fields(shape if isinstance(shape, dict) else {})
        namespace = row.get("namespace") or "(none)"
        op = row.get("op") or "?"
        key = (namespace, frozenset(fields) | frozenset(sort))
        family = exact.get(key)
        if family is None:
            family = exact[key] = _Family(namespace, frozenset())
            family.field_sets.append(sorted(key[1]))
        family.tokens = family.tokens | _tokens(op, fields, sort, operators)
        _extend(family.fields, fields)
        _extend(family.sort, sort)
        _extend(family.ops, [op])
        family.members.append(row)
    merged: list[_Family] = []
    for family in exact.values():  # rows come busiest first, so families do too
        home = next(
            (
                m
                for m in merged
                if m.namespace == family.namespace
                and jaccard(m.tokens, family.tokens) >= similarity
            ),
            None,
        )
        if home is None:
            merged.append(family)
            continue
        home.tokens = home.tokens | family.tokens
        home.field_sets.extend(family.field_sets)
        _extend(home.fields, family.fields)
        _extend(home.sort, family.sort)
        _extend(home.ops, family.ops)
        home.members.extend(family.members)
    return merged


def _summary(family: _Family, total_ms: float) -> dict[str, Any]:
    """One family as JSON: label, totals over its patterns, and its busiest members."""
    members = family.members
    count = sum(m["count"] for m in members)
    time_ms = sum(m["total_ms"] for m in members)
    plans: dict[str, int] = {}
    for m in members:
        for plan, n in m["plans"].items():
            plans[plan] = plans.get(plan, 0) + n
    key = family.namespace + "\x00" + "|".join(",".join(s) for s in sorted(family.field_sets))
    firsts = [m["first_ts"] for m in members if m["first_ts"]]
    lasts = [m["last_ts"] for m in members if m["last_ts"]]
    slowest = max(members, key=lambda m: m["max_ms"] or 0)
    return {
        "family_id": hashlib.blake2b(key.encode(), digest_size=6).hexdigest(),
        "label": label(family.namespace, family.ops, family.fields, family.sort),
        "namespace": family.namespace,
        "ops": family.ops,
        "fields": family.fields,
        "sort": family.sort,
        "field_sets": family.field_sets,
        "merged_by_similarity": len(family.field_sets) > 1,
        "patterns": len(members),
        "count": count,
        "total_ms": time_ms,
        "share": round(time_ms / total_ms, 4) if total_ms else 0.0,
        "avg_ms": time_ms / count if count else None,
        "max_ms": slowest["max_ms"],
        "plans": dict(sorted(plans.items(), key=lambda kv: -kv[1])),
        "first_ts": min(firsts) if firsts else None,
        "last_ts": max(lasts) if lasts else None,
        "sample": slowest["sample"],
        "members": [
            {k: m[k] for k in ("key", "op", "shape", "count", "total_ms", "avg_ms", "plans")}
            for m in members[:MAX_MEMBERS]
        ],
    }


def families(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    """Families of the filtered slow-query shapes, busiest first, with readable labels."""
    args = {k: v for k, v in params.items() if k not in ("limit", "similarity")}
    found = session.run(
        "patterns",
        {**args, "group_by": "shape", "sort": "total_ms", "order": "desc", "limit": MAX_PATTERNS},
    )
    rows = found["rows"]
    total_ms = sum(r["total_ms"] for r in rows)
    grouped = [(_summary(f, total_ms), f) for f in _group(rows, params["similarity"])]
    grouped.sort(key=lambda pair: (-pair[0]["total_ms"], -pair[0]["count"], pair[0]["label"]))
    shown = grouped[: params["limit"]]
    return {
        "similarity": params["similarity"],
        "patterns_seen": len(rows),
        "patterns_truncated": found["groups"] > len(rows),
        "total": len(grouped),
        "families": [summary for summary, _ in shown],
        "shape_family": {
            m["key"]: summary["family_id"] for summary, f in shown for m in f.members if m["key"]
        },
    }
