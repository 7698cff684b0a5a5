"""ESR extraction from stored query shapes: equality, sort, range, $or, not indexable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loglake.advisor.indexes import Shape, create_index_command, index_keys
from loglake.advisor.query import extract
from loglake.formats.mongodb.shape import shape_json, shape_of

Q = "?"


@pytest.mark.parametrize(
    ("shape", "keys"),
    [
        # equality, sort, range: the outside check's example
        (
            {"filter": {"createdAt": {"$gte": Q}, "status": Q}, "sort": {"priority": -1}},
            [[("status", 1), ("priority", -1), ("createdAt", 1)]],
        ),
        ({"filter": {"qty": {"$lt": Q}, "sku": {"$in": [Q]}}}, [[("sku", 1), ("qty", 1)]]),
        ({"filter": {"email": Q}, "limit": Q}, [[("email", 1)]]),
        ({"filter": {"a": {"$eq": Q}, "b": {"$ne": Q}}}, [[("a", 1), ("b", 1)]]),
        ({"filter": {"a": {"$exists": Q}, "b": {"$nin": [Q]}}}, [[("a", 1), ("b", 1)]]),
        ({"filter": {"name": {"$regex": "^?"}}}, [[("name", 1)]]),
        # a field in the sort and in a range sits in the sort position only
        ({"filter": {"ts": {"$gte": Q}, "u": Q}, "sort": {"ts": -1}}, [[("u", 1), ("ts", -1)]]),
        # sorting on an equality field is free
        ({"filter": {"u": Q}, "sort": {"u": 1, "ts": 1}}, [[("u", 1), ("ts", 1)]]),
        # $or: one predicate per branch with the top-level conditions, fields in shape order
        (
            {"filter": {"$or": [{"x": Q}, {"y": {"$gt": Q}}], "k": Q}, "sort": {"s": -1}},
            [[("x", 1), ("k", 1), ("s", -1)], [("k", 1), ("s", -1), ("y", 1)]],
        ),
        ({"filter": {"$and": [{"a": Q}, {"b": {"$lt": Q}}]}}, [[("a", 1), ("b", 1)]]),
        # aggregate: leading $match and $sort only
        (
            {
                "pipeline": [
                    {"$match": {"ts": {"$gte": Q}, "type": Q}},
                    {"$sort": {"ts": -1}},
                    {"$group": {"_id": "$u"}},
                    {"$sort": {"n": -1}},
                ]
            },
            [[("type", 1), ("ts", -1)]],
        ),
        ({"pipeline": [{"$group": {"_id": "$u"}}, {"$match": {"n": Q}}]}, []),
        ({"updates": [{"q": {"sku": Q}, "u": {"$set": {"p": Q}}}]}, [[("sku", 1)]]),
        ({"deletes": [{"q": {"ts": {"$lt": Q}}, "limit": Q}]}, [[("ts", 1)]]),
        ({"query": {"state": Q}, "key": "brand"}, [[("state", 1)]]),
        (
            {"filter": {"tags": {"$elemMatch": {"k": Q, "v": {"$gt": Q}}}}},
            [[("tags.k", 1), ("tags.v", 1)]],
        ),
        ({"sort": {"$natural": 1}}, []),
        ({}, []),
    ],
)
def test_esr_keys(shape: dict[str, Any], keys: list[list[tuple[str, int]]]) -> None:
    """Keys by ESR for each predicate, from JSON text as stored."""
    got = extract(json.dumps(shape))
    assert [p.keys() for p in got.predicates] == keys


@pytest.mark.parametrize(
    ("shape", "what", "remaining"),
    [
        ({"filter": {"$where": Q}}, "$where", []),
        ({"filter": {"$expr": {"$gt": ["$a", "$b"]}, "k": Q}}, "$expr", [[("k", 1)]]),
        ({"filter": {"$text": Q}}, "$text", []),
        ({"filter": {"name": {"$regex": Q}}}, "name: $regex", []),
        ({"filter": {"loc": {"$geoWithin": Q}}}, "loc: $geoWithin", []),
        ({"filter": {"$nor": [{"a": Q}]}}, "$nor", []),
    ],
)
def test_not_indexable_with_reason(
    shape: dict[str, Any], what: str, remaining: list[list[tuple[str, int]]]
) -> None:
    """Operators no B-tree index serves are named with a reason; the rest still counts."""
    got = extract(shape)
    assert [e["what"] for e in got.not_indexable] == [what]
    assert got.not_indexable[0]["reason"]
    assert [p.keys() for p in got.predicates] == remaining


def test_skip_is_noticed() -> None:
    """skip in a find and $skip in a pipeline."""
    assert extract({"filter": {"a": Q}, "skip": Q}).has_skip
    assert extract({"pipeline": [{"$sort": {"a": 1}}, {"$skip": Q}]}).has_skip
    assert not extract({"filter": {"a": Q}}).has_skip


def test_from_real_commands() -> None:
    """Shapes made by the parser's own normalizer extract the same keys."""
    command = {
        "find": "orders",
        "filter": {"status": "A", "createdAt": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}},
        "sort": {"priority": -1},
    }
    shape = shape_json(shape_of("find", command))
    assert extract(shape).predicates[0].keys() == [
        ("status", 1),
        ("priority", -1),
        ("createdAt", 1),
    ]


def test_index_keys_from_plan_summary() -> None:
    """IXSCAN key patterns as logged, several per plan, legacy 1.0 directions, geo."""
    assert index_keys("IXSCAN { status: 1, priority: -1 }") == [(("status", 1), ("priority", -1))]
    assert index_keys("IXSCAN { a: 1.0 }, IXSCAN { b: -1.0 }") == [(("a", 1),), (("b", -1),)]
    assert index_keys('IXSCAN { loc: "2dsphere" }') == [(("loc", "2dsphere"),)]
    assert index_keys("COLLSCAN") == []


def test_served_by_is_esr_aware() -> None:
    """Equality fields in any order, the sort in order (or all reversed), ranges as a set."""
    shape = Shape.of(
        extract({"filter": {"a": Q, "b": Q, "r": {"$gt": Q}}, "sort": {"s": -1}}).predicates[0]
    )
    assert shape.served_by((("b", 1), ("a", -1), ("s", -1), ("r", 1)))
    assert shape.served_by((("a", 1), ("b", 1), ("s", 1), ("r", -1), ("z", 1)))
    assert not shape.served_by((("a", 1), ("s", -1), ("b", 1), ("r", 1)))
    assert not shape.served_by((("a", 1), ("b", 1), ("s", -1)))


def test_create_index_command_quotes_odd_names() -> None:
    """Collections that are not identifiers go through getCollection."""
    assert (
        create_index_command("shop", "orders", (("status", 1), ("priority", -1)))
        == 'db.getSiblingDB("shop").orders.createIndex({"status": 1, "priority": -1})'
    )
    assert create_index_command("a-b", "my-coll", (("x", 1),)) == (
        'db.getSiblingDB("a-b").getCollection("my-coll").createIndex({"x": 1})'
    )
    assert '.getCollection("stats")' in create_index_command("d", "stats", (("x", 1),))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=6)
    | st.sampled_from(["?", "^?", "$a", "filter", "$or", "$and", "$in", "$regex", "$gt"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["filter", "sort", "query", "pipeline", "updates", "q", "$match", "$sort", "$or",
             "$and", "$elemMatch", "$where", "$regex", "$in", "a", "b.c", "", "$skip", "skip"]
        )
        | st.text(max_size=4),
        inner,
        max_size=4,
    ),
    max_leaves=30,
)  # fmt: skip


@given(_JSON)
def test_never_raises_on_arbitrary_shapes(shape: object) -> None:
    """Any JSON-like value (or its text) gives predicates whose keys are field/direction pairs."""
    for value in (shape, json.dumps(shape, default=str)):
        got = extract(value)
        for pred in got.predicates:
            keys = pred.keys()
            assert keys
            assert len({name for name, _ in keys}) == len(keys)
            assert all(direction in (1, -1) for _, direction in keys)
