"""MongoDB query-shape rules: any JSON-like value with its literals replaced.

Two slow queries share a shape when they differ only in the values they look for, so
analytics can group them by `shape_hash`. Used by the JSON-log and the legacy text-log
parsers alike. Every function here accepts any JSON-like value and never raises.

Rules:
- Literals (numbers, strings, booleans, null, arrays, embedded documents, Extended-JSON
  values such as `{"$oid": …}` or `{"$date": …}`) become PLACEHOLDER `"?"`; field names,
  query operators, update operators and stage names are kept. Range and equality stay
  apart: `{a: 5}` gives `{"a": "?"}`, `{a: {$gt: 5}}` gives `{"a": {"$gt": "?"}}`.
- `$in`/`$nin`/`$all` lists become `["?"]` whatever their length; an empty list stays `[]`.
- `$regex` (and a regex literal) keeps only whether it is anchored: `"^?"` when the pattern
  starts with `^` but not `^.*`, else `"?"`; `$options` and `$comment` are dropped.
- `$expr`, `$group` and similar aggregation expressions keep operators and field paths
  (`"$a"`, `"$$NOW"`); their literals become `"?"`.
  `$where`, `$text`, `$jsonSchema` and geo operators keep their name with value `"?"`.
- In `$and`/`$or`/`$nor` and expression arrays, order is kept but a run of equal
  normalized items is kept once, so an `$or` of 3 or 30 equalities on one field gives
  one shape, as `$in` lists do.
- Object keys are sorted everywhere except where their order has a meaning: sort specs
  (`sort`, `$sort`) and index key specs (`hint`, `createIndexes`) keep the order given,
  with directions kept as 1/-1 (or a string such as "text", or `{"$meta": …}`). Arrays keep
  their order (`$or` branches, pipeline stages). Shapes are built in this order, so
  `shape_json` dumps them as they are. Projections keep their field names only (value 1).
- An insert's shape is `{}`: its documents are data. Other commands give `{}`, except
  `createIndexes`, whose shape is its index key specs.
- A write batch (`updates`, `deletes`) keeps each distinct statement shape once, in the
  order first seen, so a batch of 1,000 same-shaped statements has one entry.
- Containers nested deeper than MAX_DEPTH become `"?"`; pipelines keep MAX_STAGES stages.
- `normalize_filter` and `normalize_shape` are idempotent: a shape normalizes to itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

PLACEHOLDER = "?"
ANCHORED = "^?"
MAX_DEPTH = 50
MAX_STAGES = 50

_Normalizer = Callable[[Any, int], object]
_EJSON = frozenset(
    {
        "$oid", "$date", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal",
        "$uuid", "$binary", "$timestamp", "$minKey", "$maxKey", "$undefined", "$symbol",
        "$code", "$scope", "$dbPointer", "$regularExpression", "$ref", "$id",
    }
)  # fmt: skip
_LOGICAL = frozenset({"$and", "$or", "$nor"})
_FILTER_ONLY = _LOGICAL | {"$expr", "$where", "$text", "$jsonSchema"}
_LIST_OPERATORS = frozenset({"$in", "$nin", "$all"})
_DROPPED_OPERATORS = frozenset({"$options", "$comment"})
_SUB_QUERY_NAMES = frozenset({"as", "coll", "foreignField", "from", "localField"})


def normalize_filter(expr: object) -> object:
    """A query filter with its literals replaced by PLACEHOLDER and its keys sorted."""
    return _filter(expr, 0)


def _filter(expr: object, depth: int) -> object:
    if not isinstance(expr, dict) or depth > MAX_DEPTH:
        return PLACEHOLDER
    out: dict[str, object] = {}
    for key in sorted(expr):
        value = expr[key]
        if not key.startswith("$"):
            out[key] = _value(value, depth + 1)
        elif key in _LOGICAL:
            out[key] = _runs(_filter, value, depth + 1)
        elif key == "$expr":
            out[key] = _expr(value, depth + 1)
        elif key != "$comment":
            out[key] = PLACEHOLDER
    return out


def _value(value: object, depth: int) -> object:
    """What a field is compared with: an operator document keeps its operators."""
    if not isinstance(value, dict) or not value or depth > MAX_DEPTH:
        return PLACEHOLDER
    if "$regularExpression" in value:
        return {"$regex": _regex(value)}
    if not _EJSON.isdisjoint(value) or not all(key.startswith("$") for key in value):
        return PLACEHOLDER  # an Extended-JSON literal or an embedded document
    out: dict[str, object] = {}
    for op in sorted(value):
        arg = value[op]
        if op in _LIST_OPERATORS:
            out[op] = ([PLACEHOLDER] if arg else []) if isinstance(arg, list) else PLACEHOLDER
        elif op == "$regex":
            out[op] = _regex(arg)
        elif op == "$not":
            out[op] = _value(arg, depth + 1)
        elif op == "$elemMatch":
            out[op] = _elem_match(arg, depth + 1)
        elif op not in _DROPPED_OPERATORS:
            out[op] = PLACEHOLDER
    return out or PLACEHOLDER


def _elem_match(arg: object, depth: int) -> object:
    if not isinstance(arg, dict) or depth > MAX_DEPTH:
        return PLACEHOLDER
    if not arg:
        return {}
    if any(not key.startswith("$") or key in _FILTER_ONLY for key in arg):
        return _filter(arg, depth)  # elements are documents: a query on their fields
    return _value(arg, depth)


def _regex(pattern: object) -> str:
    """`"^?"` for a prefix pattern (may use an index range), else `"?"`."""
    if isinstance(pattern, dict):
        inner = pattern.get("$regularExpression")
        pattern = inner.get("pattern") if isinstance(inner, dict) else None
    if isinstance(pattern, str) and pattern.startswith("^") and not pattern.startswith("^.*"):
        return ANCHORED
    return PLACEHOLDER


def _expr(value: object, depth: int) -> object:
    """An aggregation expression: operators and `$field` paths kept, literals replaced."""
    if depth > MAX_DEPTH:
        return PLACEHOLDER
    if isinstance(value, str):
        return value if value.startswith("$") else PLACEHOLDER
    if isinstance(value, list):
        return _runs(_expr, value, depth)
    if isinstance(value, dict) and value and "$literal" not in value and _EJSON.isdisjoint(value):
        return {key: _expr(value[key], depth + 1) for key in sorted(value)}
    return PLACEHOLDER


def _runs(normalize: _Normalizer, items: object, depth: int) -> object:
    """Each item normalized, a run of equal results kept once (as `$in` lists collapse)."""
    if not isinstance(items, list) or depth > MAX_DEPTH:
        return PLACEHOLDER
    out: list[object] = []
    for item in items:
        shape = normalize(item, depth + 1)
        if not out or out[-1] != shape:
            out.append(shape)
    return out


def _direction(value: object) -> object:
    if isinstance(value, bool):
        return PLACEHOLDER
    if isinstance(value, int | float):
        return -1 if value < 0 else 1
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "$meta" in value:
        meta = value["$meta"]
        return {"$meta": meta if isinstance(meta, str) else PLACEHOLDER}
    return PLACEHOLDER


def _ordered_keys(spec: object, depth: int) -> object:
    """A sort or index key spec: its order is meaning, so it is kept."""
    if not isinstance(spec, dict):
        return PLACEHOLDER
    return {key: _direction(value) for key, value in spec.items()}


def _hint(hint: object, depth: int) -> object:
    while isinstance(hint, dict) and "$hint" in hint:  # how mongod logs a hint by name
        hint = hint["$hint"]
    return hint if isinstance(hint, str) else _ordered_keys(hint, depth)


def _keys_only(spec: object, depth: int) -> object:
    """Projection-like specs: the field names, each with value 1."""
    if isinstance(spec, str):
        return spec  # `{$unset: "a"}`
    if isinstance(spec, list):
        return dict.fromkeys(sorted(name for name in spec if isinstance(name, str)), 1)
    if isinstance(spec, dict):
        return dict.fromkeys(sorted(spec), 1)
    return PLACEHOLDER


def _name(value: object, depth: int = 0) -> object:
    return value if isinstance(value, str) else PLACEHOLDER


def _literal(value: object, depth: int) -> object:
    return PLACEHOLDER


def _flag(value: object, depth: int) -> object:
    return True if value is True else None


def _update(update: object, depth: int) -> object:
    """An update: operators with their field names, a pipeline's stages, or `"?"`."""
    if isinstance(update, list):
        return _pipeline(update, depth)
    if isinstance(update, dict) and update and all(key.startswith("$") for key in update):
        return {
            op: dict.fromkeys(sorted(fields), PLACEHOLDER)
            if isinstance(fields, dict)
            else PLACEHOLDER
            for op, fields in sorted(update.items())
        }
    return PLACEHOLDER  # a replacement document is data


def _pipeline(pipeline: object, depth: int) -> object:
    if not isinstance(pipeline, list) or depth > MAX_DEPTH:
        return PLACEHOLDER
    return [_stage(stage, depth + 1) for stage in pipeline[:MAX_STAGES]]


def _stage(stage: object, depth: int) -> object:
    if not isinstance(stage, dict) or not stage or depth > MAX_DEPTH:
        return PLACEHOLDER
    name = next(iter(stage))
    handler = _STAGES.get(name)
    if handler is None:
        return {name: PLACEHOLDER} if name.startswith("$") else PLACEHOLDER
    return {name: handler(stage[name], depth + 1)}


def _sub_query(spec: object, depth: int) -> object:
    """`$lookup` / `$unionWith`: names kept, sub-pipeline normalized, `let` dropped."""
    if not isinstance(spec, dict):
        return _name(spec)
    out: dict[str, object] = {}
    for key in sorted(spec):
        if key == "pipeline":
            out[key] = _pipeline(spec[key], depth + 1)
        elif key in _SUB_QUERY_NAMES:
            out[key] = _name(spec[key])
    return out


def _unwind(spec: object, depth: int) -> object:
    return _name(spec.get("path") if isinstance(spec, dict) else spec)


def _facet(spec: object, depth: int) -> object:
    if not isinstance(spec, dict):
        return PLACEHOLDER
    return {name: _pipeline(spec[name], depth + 1) for name in sorted(spec)}


_STAGES: dict[str, _Normalizer] = {
    "$match": _filter,
    "$sort": _ordered_keys,
    "$project": _keys_only,
    "$addFields": _keys_only,
    "$set": _keys_only,
    "$unset": _keys_only,
    "$unwind": _unwind,
    "$lookup": _sub_query,
    "$unionWith": _sub_query,
    "$facet": _facet,
    "$group": _expr,
    "$sortByCount": _expr,
    "$replaceRoot": _expr,
    "$replaceWith": _expr,
}


def _statements(statements: object, depth: int) -> object:
    """A write batch's distinct statement shapes, in the order first seen."""
    if not isinstance(statements, list) or depth > MAX_DEPTH:
        return PLACEHOLDER
    distinct: dict[str, object] = {}
    for statement in statements:
        shape = (
            normalize_fields(statement, depth + 1) if isinstance(statement, dict) else PLACEHOLDER
        )
        distinct.setdefault(shape_json(shape), shape)
    return list(distinct.values())


def _indexes(keys: object, depth: int) -> object:
    return (
        [_ordered_keys(key, depth + 1) for key in keys] if isinstance(keys, list) else PLACEHOLDER
    )


# The fields a shape (or a write statement) may have, each with its normalizer.
_FIELDS: dict[str, _Normalizer] = {
    "deletes": _statements,
    "filter": _filter,
    "hint": _hint,
    "indexes": _indexes,
    "key": _name,
    "limit": _literal,
    "multi": _flag,
    "new": _flag,
    "pipeline": _pipeline,
    "projection": _keys_only,
    "q": _filter,
    "query": _filter,
    "remove": _flag,
    "skip": _literal,
    "sort": _ordered_keys,
    "u": _update,
    "update": _update,
    "updates": _statements,
    "upsert": _flag,
}


def normalize_fields(doc: dict[str, Any], depth: int) -> dict[str, object]:
    """The shape fields of `doc` (sorted), each by its own rule; empty values left out."""
    out: dict[str, object] = {}
    for key in sorted(doc):
        normalizer = _FIELDS.get(key)
        raw = doc[key]
        if normalizer is None or raw is None:
            continue
        value = normalizer(raw, depth + 1)
        if value not in (None, {}, []):
            out[key] = value
    return out


def normalize_shape(shape: dict[str, Any]) -> dict[str, Any]:
    """Re-normalize a shape made by `shape_of`; a shape is returned unchanged."""
    return normalize_fields(shape, 0) if isinstance(shape, dict) else {}


def shape_json(shape: object) -> str:
    """A shape as compact JSON text, keys in the order the shape has them."""
    try:
        return orjson.dumps(shape).decode()
    except TypeError:  # not from shape_of: big integers, surrogates, non-string keys
        return json.dumps(shape, separators=(",", ":"), skipkeys=True, default=str)
