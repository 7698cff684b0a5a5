"""The predicate of a stored query shape: equality, sort and range fields, and what no index serves.

A shape (see `formats/mongodb/shape.py`) is the normalized command: a find's `filter`/`sort`, an
aggregate's `pipeline` (its leading `$match` and `$sort` stages, the part the query planner
can answer from an index), count/distinct/findAndModify `query` (+ `sort`), and the `q` of
each statement of an update or delete batch. Values are already `"?"`, so only field names
and operators matter here. Every function accepts any JSON-like value and never raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

EQUALITY_OPS = frozenset({"$eq", "$in", "$all"})
RANGE_OPS = frozenset(
    {"$gt", "$gte", "$lt", "$lte", "$ne", "$nin", "$exists", "$type", "$not", "$mod"}
)
GEO_OPS = frozenset(
    {"$geoWithin", "$geoIntersects", "$near", "$nearSphere", "$within", "$box", "$center"}
)
ANCHORED = "^?"
MAX_PREDICATES = 16  # `$or` branches multiply; past this many, the rest is not examined

# operator -> why no B-tree index answers it
_REASONS = {
    "$where": "$where runs JavaScript on every document; no index can answer it",
    "$expr": "$expr compares with aggregation expressions, which an index rarely answers",
    "$text": "$text needs a text index, not a B-tree index the ESR rule builds",
    "$jsonSchema": "$jsonSchema validates whole documents; no index can answer it",
    "$nor": "$nor matches what its clauses do not, so every document is examined",
    "$size": "$size cannot use an index",
    "regex": "a regular expression without an anchored prefix (^abc) reads every key",
    "geo": "geo operators need a 2dsphere or 2d index, not the ESR rule's B-tree index",
}


@dataclass
class Predicate:
    """One way a query selects documents: the fields of an index that would serve it."""

    equality: list[str] = field(default_factory=list)
    sort: list[tuple[str, int]] = field(default_factory=list)
    range: list[str] = field(default_factory=list)

    def copy(self) -> Predicate:
        """An independent copy (for `$or` branches)."""
        return Predicate(list(self.equality), list(self.sort), list(self.range))

    def add_equality(self, name: str) -> None:
        """Record an equality on a field (wins over a range on it)."""
        if name not in self.equality:
            self.equality.append(name)
        if name in self.range:
            self.range.remove(name)

    def add_range(self, name: str) -> None:
        """Record a range on a field (unless it is already an equality)."""
        if name not in self.equality and name not in self.range:
            self.range.append(name)

    def keys(self) -> list[tuple[str, int]]:
        """The index keys by ESR: equality (ascending), sort (its direction), then range."""
        sort = [(name, d) for name, d in self.sort if name not in self.equality]
        sorted_names = {name for name, _ in sort}
        ranges = [name for name in self.range if name not in sorted_names]
        return [(n, 1) for n in self.equality] + sort + [(n, 1) for n in ranges]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "equality": list(self.equality),
            "sort": [[n, d] for n, d in self.sort],
            "range": list(self.range),
        }


@dataclass
class Extraction:
    """Every predicate of a shape and the parts of it no index serves."""

    predicates: list[Predicate] = field(default_factory=list)
    not_indexable: list[dict[str, str]] = field(default_factory=list)
    has_skip: bool = False
    has_or: bool = False

    def flag(self, what: str, reason_key: str) -> None:
        """Record a part no index serves, once."""
        entry = {"what": what, "reason": _REASONS[reason_key]}
        if entry not in self.not_indexable:
            self.not_indexable.append(entry)


def parse_shape(shape: object) -> object:
    """A shape given as JSON text (the `shape` column) or already parsed; {} when unreadable."""
    if isinstance(shape, str):
        try:
            return json.loads(shape)
        except ValueError:
            return {}
    return shape


def extract(shape: object) -> Extraction:
    """The predicates of a shape (one per `$or` branch or write statement)."""
    out = Extraction()
    doc = parse_shape(shape)
    if not isinstance(doc, dict):
        return out
    out.has_skip = "skip" in doc
    sort = _sort_spec(doc.get("sort"))
    for name in ("filter", "query"):
        if name in doc:
            out.predicates.extend(_predicates(doc[name], sort, out))
    if "pipeline" in doc:
        out.predicates.extend(_pipeline(doc["pipeline"], out))
    for name in ("updates", "deletes"):
        statements = doc.get(name)
        for statement in statements if isinstance(statements, list) else []:
            if isinstance(statement, dict) and "q" in statement:
                out.predicates.extend(_predicates(statement["q"], [], out))
    if not out.predicates and sort:
        out.predicates.append(Predicate(sort=sort))
    out.predicates = [p for p in out.predicates if p.keys()][:MAX_PREDICATES]
    return out


def _sort_spec(spec: object) -> list[tuple[str, int]]:
    """A sort spec's index-able keys in order (`$natural` and `$meta` are not keys)."""
    if not isinstance(spec, dict):
        return []
    keys: list[tuple[str, int]] = []
    for name, direction in spec.items():
        if not isinstance(name, str) or not name or name.startswith("$"):
            continue
        if isinstance(direction, int | float) and not isinstance(direction, bool):
            keys.append((name, -1 if direction < 0 else 1))
    return keys


def _pipeline(pipeline: object, out: Extraction) -> list[Predicate]:
    """The leading `$match`/`$sort` stages: what the planner can push down to an index."""
    matches: list[object] = []
    sort: list[tuple[str, int]] = []
    for stage in pipeline if isinstance(pipeline, list) else []:
        if not isinstance(stage, dict) or len(stage) != 1:
            break
        name, body = next(iter(stage.items()))
        if name == "$match" and not sort:
            matches.append(body)
        elif name == "$sort" and not sort:
            sort = _sort_spec(body)
        elif name == "$skip":
            out.has_skip = True
            break
        else:
            break
    if not matches:
        return [Predicate(sort=sort)] if sort else []
    combined = {"$and": matches} if len(matches) > 1 else matches[0]
    return _predicates(combined, sort, out)


def _predicates(expr: object, sort: list[tuple[str, int]], out: Extraction) -> list[Predicate]:
    """The predicates of a filter: one, or one per `$or` branch."""
    preds = _walk(expr, [Predicate(sort=list(sort))], "", out)
    return preds[:MAX_PREDICATES]


def _walk(expr: object, preds: list[Predicate], prefix: str, out: Extraction) -> list[Predicate]:
    """Add a filter document's conditions to every predicate; `$or` forks them."""
    if not isinstance(expr, dict):
        return preds
    for key, value in expr.items():
        if not isinstance(key, str):
            continue
        if key == "$and":
            for item in value if isinstance(value, list) else []:
                preds = _walk(item, preds, prefix, out)
        elif key == "$or":
            preds = _fork(value, preds, prefix, out)
        elif key.startswith("$") and key in _REASONS:
            out.flag(key, key)
        elif key.startswith("$"):
            continue  # $comment and friends say nothing about fields
        else:
            for pred in preds:
                _field(prefix + key, value, pred, out)
    return preds


def _fork(
    branches: object, preds: list[Predicate], prefix: str, out: Extraction
) -> list[Predicate]:
    """`$or`: each branch is its own predicate (MongoDB answers each with its own index)."""
    if not isinstance(branches, list) or not branches:
        return preds
    out.has_or = True
    forked: list[Predicate] = []
    for pred in preds:
        for branch in branches:
            forked.extend(_walk(branch, [pred.copy()], prefix, out))
            if len(forked) >= MAX_PREDICATES:
                return forked
    return forked


def _field(name: str, value: object, pred: Predicate, out: Extraction) -> None:
    """One field's condition: equality, range, or something no index serves."""
    if not isinstance(value, dict) or not value:
        pred.add_equality(name)
        return
    if not all(isinstance(op, str) and op.startswith("$") for op in value):
        pred.add_equality(name)  # an embedded document compared whole
        return
    for op, arg in value.items():
        if op in EQUALITY_OPS:
            pred.add_equality(name)
        elif op == "$regex":
            if arg == ANCHORED:
                pred.add_range(name)
            else:
                out.flag(f"{name}: $regex", "regex")
        elif op in RANGE_OPS:
            pred.add_range(name)
        elif op == "$elemMatch":
            _elem_match(name, arg, pred, out)
        elif op in GEO_OPS:
            out.flag(f"{name}: {op}", "geo")
        elif op == "$size":
            out.flag(f"{name}: $size", "$size")
        else:
            pred.add_range(name)  # $bitsAllSet and rarer operators: bounds, not points


def _elem_match(name: str, arg: object, pred: Predicate, out: Extraction) -> None:
    """`$elemMatch` on documents queries their fields (a multikey index on `name.field`)."""
    if not isinstance(arg, dict) or not arg:
        pred.add_range(name)
    elif all(isinstance(k, str) and k.startswith("$") and k not in _REASONS for k in arg):
        _field(name, arg, pred, out)
    else:
        _walk(arg, [pred], name + ".", out)
