"""Query-shape normalization: golden shapes of real slow queries, and its invariants."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loglake.formats.mongodb.shape import (
    MAX_DEPTH,
    MAX_STAGES,
    PLACEHOLDER,
    canonical_op,
    normalize_filter,
    normalize_shape,
    shape_hash,
    shape_json,
    shape_of,
)

CLUSTER_TIME = {
    "clusterTime": {"$timestamp": {"t": 1710773465, "i": 5}},
    "signature": {
        "hash": {"$binary": {"base64": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "subType": "0"}},
        "keyId": 0,
    },
}
LSID = {"id": {"$uuid": "4f4258f7-080e-499b-8e4b-20b5e3455ba4"}}

# `attr` of real "Slow query" (id 51803) lines: type, command and, for getMore, the
# originating command. From hatchet-6.0.14-rs1.log.gz unless the name says otherwise.
FIND_TRANSACTIONS = {
    "type": "command",
    "command": {
        "find": "transactions",
        "filter": {
            "parentLsid": {
                "id": {"$uuid": "ed42d841-27e3-4432-9f25-aba208e1c36a"},
                "uid": {
                    "$binary": {
                        "base64": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                        "subType": "0",
                    }
                },
            }
        },
        "projection": {"_id": 1},
        "sort": {"_id.txnNumber": -1},
        "hint": {"$hint": "parent_lsid"},
        "limit": 1,
        "readConcern": {},
        "$db": "config",
    },
}
FIND_KEYS = {
    "type": "command",
    "command": {
        "find": "external_validation_keys",
        "filter": {"purpose": "HMAC", "expiresAt": {"$gt": {"$timestamp": {"t": 0, "i": 0}}}},
        "sort": {"expiresAt": 1},
        "readConcern": {},
        "$readPreference": {"mode": "nearest"},
        "$db": "config",
    },
}
OPLOG_FIND = {
    "find": "oplog.rs",
    "filter": {"ts": {"$gte": {"$timestamp": {"t": 1710773352, "i": 1}}}},
    "batchSize": 13981010,
    "tailable": True,
    "awaitData": True,
    "term": 1,
    "maxTimeMS": 60000,
    "readConcern": {"level": "local", "afterClusterTime": {"$timestamp": {"t": 0, "i": 1}}},
    "$db": "local",
    "$replData": 1,
    "$oplogQueryData": 1,
    "$readPreference": {"mode": "secondaryPreferred"},
}
GETMORE_OPLOG = {
    "type": "command",
    "command": {
        "getMore": 7314488630307709873,
        "collection": "oplog.rs",
        "batchSize": 13981010,
        "maxTimeMS": 5000,
        "term": 1,
        "lastKnownCommittedOpTime": {"ts": {"$timestamp": {"t": 1710773352, "i": 1}}, "t": -1},
        "$db": "local",
        "$replData": 1,
        "$oplogQueryData": 1,
        "$readPreference": {"mode": "secondaryPreferred"},
    },
    "originatingCommand": OPLOG_FIND,
}
UPDATE_STATEMENT = {
    "type": "update",
    "command": {
        "q": {"_id": "DEALER-1"},
        "u": {"$set": {"name": "Atlanta Auto"}},
        "multi": False,
        "upsert": True,
    },
}
UPDATE_WITHOUT_STATEMENTS = {  # mongod logs the update command without its `updates`
    "type": "command",
    "command": {
        "update": "dealers",
        "ordered": True,
        "lsid": LSID,
        "txnNumber": 77,
        "$clusterTime": CLUSTER_TIME,
        "$db": "testdb",
    },
}
AGGREGATE_GROUP = {
    "type": "command",
    "command": {
        "aggregate": "atlascli",
        "pipeline": [
            {"$match": {"managedClusterType": "atlasCliLocalDevCluster"}},
            {"$group": {"_id": 1, "n": {"$sum": 1}}},
        ],
        "cursor": {},
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
        "$db": "admin",
    },
}
CREATE_INDEXES = {
    "type": "command",
    "command": {
        "createIndexes": "vehicles",
        "indexes": [{"key": {"location": 1, "color": 1}, "name": "location_1_color_1"}],
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
        "$db": "testdb",
    },
}
COUNT_ALL = {
    "type": "command",
    "command": {
        "count": "favorites",
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
        "$db": "testdb",
        "$readPreference": {"mode": "primary"},
    },
}
INSERT_KEYS = {
    "type": "command",
    "command": {
        "insert": "system.keys",
        "bypassDocumentValidation": False,
        "ordered": True,
        "documents": [
            {
                "purpose": "HMAC",
                "key": {"$binary": {"base64": "Oyz8KJHNLAIf5MPJ6Za5JeRHvbY=", "subType": "0"}},
                "expiresAt": {"$timestamp": {"t": 1718549365, "i": 0}},
                "_id": 7347715653542871041,
            }
        ],
        "writeConcern": {"w": "majority", "wtimeout": 60000},
        "$db": "admin",
    },
}
HELLO = {
    "type": "command",
    "command": {
        "hello": 1,
        "client": {"driver": {"name": "NetworkInterfaceTL-ReplNetwork", "version": "6.0.14"}},
        "compression": ["snappy", "zstd", "zlib"],
        "internalClient": {"minWireVersion": 17, "maxWireVersion": 17},
        "hangUpOnStepDown": False,
        "saslSupportedMechs": "local.__system",
        "$db": "admin",
    },
}
UNRECOGNIZED = {"type": "command", "command": "unrecognized"}
CREATE_INDEXES_BUILD = {  # the index build's own slow-query line has type "none"
    "type": "none",
    "command": {"createIndexes": "numbers", "indexes": [{"v": 2, "key": {"a": 1}, "name": "a_1"}]},
}
# bloommarbella-7.0.14.log.gz
REMOVE_STATEMENT = {"type": "remove", "command": {"q": {"slug": None}, "limit": 0}}
DELETE_BATCH = {
    "type": "command",
    "command": {
        "delete": "products",
        "deletes": [{"q": {"slug": None}, "limit": 0}],
        "ordered": True,
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
        "$readPreference": {"mode": "primaryPreferred"},
        "$db": "bloommarbella",
    },
}
ACTIVE = {
    "$expr": {"$and": [{"$eq": ["$active", {"$literal": True}]}, {"$ne": ["$active", "$$REMOVE"]}]}
}
ACTIVE_SHAPE = {"$expr": {"$and": [{"$eq": ["$active", "?"]}, {"$ne": ["$active", "$$REMOVE"]}]}}
AGGREGATE_EXPR = {
    "type": "command",
    "command": {
        "aggregate": "products",
        "pipeline": [{"$match": ACTIVE}, {"$group": {"_id": None, "count_all": {"$sum": 1}}}],
        "cursor": {},
        "allowDiskUse": True,
        "$db": "bloommarbella",
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
    },
}

GOLDEN = [
    pytest.param(
        FIND_TRANSACTIONS,
        "find",
        {
            "filter": {"parentLsid": "?"},
            "hint": "parent_lsid",
            "limit": "?",
            "projection": {"_id": 1},
            "sort": {"_id.txnNumber": -1},
        },
        id="find-hint-sort-projection",
    ),
    pytest.param(
        FIND_KEYS,
        "find",
        {"filter": {"expiresAt": {"$gt": "?"}, "purpose": "?"}, "sort": {"expiresAt": 1}},
        id="find-range-and-equality",
    ),
    pytest.param(GETMORE_OPLOG, "getMore", {"filter": {"ts": {"$gte": "?"}}}, id="getmore"),
    pytest.param(
        UPDATE_STATEMENT,
        "update",
        {"updates": [{"q": {"_id": "?"}, "u": {"$set": {"name": "?"}}, "upsert": True}]},
        id="update-statement",
    ),
    pytest.param(UPDATE_WITHOUT_STATEMENTS, "update", {}, id="update-batch-not-logged"),
    pytest.param(
        AGGREGATE_GROUP,
        "aggregate",
        {
            "pipeline": [
                {"$match": {"managedClusterType": "?"}},
                {"$group": {"_id": "?", "n": {"$sum": "?"}}},
            ]
        },
        id="aggregate-group",
    ),
    pytest.param(
        AGGREGATE_EXPR,
        "aggregate",
        {
            "pipeline": [
                {"$match": ACTIVE_SHAPE},
                {"$group": {"_id": "?", "count_all": {"$sum": "?"}}},
            ]
        },
        id="aggregate-expr",
    ),
    pytest.param(
        CREATE_INDEXES,
        "createIndexes",
        {"indexes": [{"location": 1, "color": 1}]},
        id="create-indexes",
    ),
    pytest.param(CREATE_INDEXES_BUILD, "createIndexes", {"indexes": [{"a": 1}]}, id="index-build"),
    pytest.param(COUNT_ALL, "count", {}, id="count-all"),
    pytest.param(INSERT_KEYS, "insert", {}, id="insert"),
    pytest.param(HELLO, "hello", {}, id="hello"),
    pytest.param(UNRECOGNIZED, "command", {}, id="unrecognized"),
    pytest.param(
        REMOVE_STATEMENT, "delete", {"deletes": [{"limit": "?", "q": {"slug": "?"}}]}, id="remove"
    ),
    pytest.param(
        DELETE_BATCH, "delete", {"deletes": [{"limit": "?", "q": {"slug": "?"}}]}, id="delete"
    ),
]


def shape_of_attr(attr: dict[str, object]) -> tuple[str, dict[str, object]]:
    """What the MongoDB parser does with a slow query's `attr`."""
    command = attr.get("command")
    command = command if isinstance(command, dict) else None
    op_type = attr.get("type")
    op = canonical_op(command, op_type if isinstance(op_type, str) else None)
    if op == "getMore":
        originating = attr.get("originatingCommand")
        command = originating if isinstance(originating, dict) else None
    return op, shape_of(op, command)


@pytest.mark.parametrize(("attr", "op", "shape"), GOLDEN)
def test_golden_shapes_of_real_slow_queries(
    attr: dict[str, object], op: str, shape: dict[str, object]
) -> None:
    assert shape_of_attr(attr) == (op, shape)
    assert normalize_shape(shape) == shape
    assert shape_json(shape) == orjson.dumps(shape).decode()


def test_shape_json_keeps_key_order_and_is_compact() -> None:
    _, shape = shape_of_attr(FIND_TRANSACTIONS)
    assert shape_json(shape) == (
        '{"filter":{"parentLsid":"?"},"hint":"parent_lsid","limit":"?",'
        '"projection":{"_id":1},"sort":{"_id.txnNumber":-1}}'
    )


@pytest.mark.parametrize(
    ("command", "op_type", "op"),
    [
        ({"find": "c"}, "command", "find"),
        ({"aggregate": "c"}, "command", "aggregate"),
        ({"count": "c"}, "command", "count"),
        ({"distinct": "c"}, "command", "distinct"),
        ({"update": "c"}, "command", "update"),
        ({"delete": "c"}, "command", "delete"),
        ({"insert": "c"}, "command", "insert"),
        ({"findAndModify": "c"}, "command", "findAndModify"),
        ({"findandmodify": "c"}, "command", "findAndModify"),
        ({"getMore": 1}, "command", "getMore"),
        ({"getMore": 1}, "getmore", "getMore"),
        ({"q": {}, "u": {}}, "update", "update"),
        ({"q": {}, "limit": 0}, "remove", "delete"),
        ({"a": 1}, "query", "find"),
        ({"query": {"a": 1}, "orderby": {"b": 1}}, "query", "find"),
        ({"$query": {"a": 1}}, None, "find"),
        ({"find": "c"}, "query", "find"),
        (None, "getmore", "getMore"),
        (None, "insert", "insert"),
        ({"cursors": [1]}, "killcursors", "killCursors"),
        ({"createIndexes": "c"}, "none", "createIndexes"),
        ({"replSetInitiate": {}}, "command", "replSetInitiate"),
        ({"isMaster": 1}, "command", "isMaster"),
        (None, "command", "command"),
        (None, None, "command"),
        ({}, "command", "command"),
        ({"$db": "x"}, "command", "command"),
    ],
)
def test_canonical_op(command: dict[str, object] | None, op_type: str | None, op: str) -> None:
    assert canonical_op(command, op_type) == op


@pytest.mark.parametrize(
    ("expr", "shape"),
    [
        ({"a": 5}, {"a": "?"}),
        ({"a": {"$gt": 5}}, {"a": {"$gt": "?"}}),
        ({"a": {"$gte": 1, "$lt": 9}}, {"a": {"$gte": "?", "$lt": "?"}}),
        ({"b": 1, "a": 2}, {"a": "?", "b": "?"}),
        ({"a": {"$in": [1, 2, 3]}}, {"a": {"$in": ["?"]}}),
        ({"a": {"$nin": []}}, {"a": {"$nin": []}}),
        ({"a": {"$all": "x"}}, {"a": {"$all": "?"}}),
        ({"$or": [{"b": 1}, {"a": 1}]}, {"$or": [{"b": "?"}, {"a": "?"}]}),
        ({"$or": [{"a": 1}, {"a": 2}, {"b": 3}]}, {"$or": [{"a": "?"}, {"b": "?"}]}),
        ({"$and": "x", "$nor": []}, {"$and": "?", "$nor": []}),
        ({"a": {"x": 1, "y": 2}}, {"a": "?"}),
        ({"a": {}}, {"a": "?"}),
        ({"a": [1, 2]}, {"a": "?"}),
        ({"a": {"$oid": "65f854672d7d6b4a0f6037a6"}}, {"a": "?"}),
        ({"a": {"$date": "2024-03-18T14:50:15.227Z"}}, {"a": "?"}),
        ({"a": {"$numberLong": "5"}}, {"a": "?"}),
        ({"a": {"$numberDecimal": "5.1"}}, {"a": "?"}),
        ({"a": {"$uuid": "4f4258f7-080e-499b-8e4b-20b5e3455ba4"}}, {"a": "?"}),
        ({"a": {"$binary": {"base64": "AA==", "subType": "0"}}}, {"a": "?"}),
        ({"a": {"$timestamp": {"t": 1, "i": 1}}}, {"a": "?"}),
        ({"a": {"$minKey": 1}}, {"a": "?"}),
        ({"a": {"$ref": "c", "$id": 1}}, {"a": "?"}),
        ({"a": {"$regex": "^abc", "$options": "i"}}, {"a": {"$regex": "^?"}}),
        ({"a": {"$regex": "^.*abc"}}, {"a": {"$regex": "?"}}),
        ({"a": {"$regex": "abc"}}, {"a": {"$regex": "?"}}),
        ({"a": {"$options": "i"}}, {"a": "?"}),
        (
            {"a": {"$regularExpression": {"pattern": "^ab", "options": ""}}},
            {"a": {"$regex": "^?"}},
        ),
        (
            {"a": {"$regex": {"$regularExpression": {"pattern": "x", "options": "i"}}}},
            {"a": {"$regex": "?"}},
        ),
        ({"a": {"$not": {"$gt": 5}}}, {"a": {"$not": {"$gt": "?"}}}),
        (
            {"a": {"$not": {"$regularExpression": {"pattern": "^x"}}}},
            {"a": {"$not": {"$regex": "^?"}}},
        ),
        (
            {"a": {"$elemMatch": {"$gt": 1, "$lt": 5}}},
            {"a": {"$elemMatch": {"$gt": "?", "$lt": "?"}}},
        ),
        (
            {"a": {"$elemMatch": {"x": 1, "y": {"$in": [1]}}}},
            {"a": {"$elemMatch": {"x": "?", "y": {"$in": ["?"]}}}},
        ),
        ({"a": {"$elemMatch": {}}}, {"a": {"$elemMatch": {}}}),
        ({"a": {"$exists": True, "$type": "string"}}, {"a": {"$exists": "?", "$type": "?"}}),
        ({"a": {"$size": 2, "$mod": [4, 0]}}, {"a": {"$mod": "?", "$size": "?"}}),
        ({"$where": "this.a > 1"}, {"$where": "?"}),
        ({"$text": {"$search": "coffee"}}, {"$text": "?"}),
        ({"$jsonSchema": {"required": ["a"]}}, {"$jsonSchema": "?"}),
        (
            {"loc": {"$near": {"$geometry": {"type": "Point"}}, "$maxDistance": 5}},
            {"loc": {"$maxDistance": "?", "$near": "?"}},
        ),
        ({"loc": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}}, {"loc": {"$geoWithin": "?"}}),
        ({"a": 1, "$comment": "why"}, {"a": "?"}),
        ({"$expr": {"$gt": ["$a", {"$literal": 5}]}}, {"$expr": {"$gt": ["$a", "?"]}}),
        ({"$expr": {"$in": ["$a", [1, 2, 3]]}}, {"$expr": {"$in": ["$a", ["?"]]}}),
        ({}, {}),
        ("a string", "?"),
        (None, "?"),
        ([{"a": 1}], "?"),
    ],
)
def test_normalize_filter(expr: object, shape: object) -> None:
    assert normalize_filter(expr) == shape
    assert normalize_filter(shape) == shape


def test_range_and_equality_have_different_shapes() -> None:
    equality = shape_of("find", {"find": "c", "filter": {"a": 5}})
    range_ = shape_of("find", {"find": "c", "filter": {"a": {"$gt": 5}}})
    assert shape_json(equality) != shape_json(range_)


def test_values_do_not_change_the_shape() -> None:
    one = shape_of("find", {"find": "c", "filter": {"a": 5, "b": {"$in": [1, 2]}}})
    other = shape_of("find", {"find": "d", "filter": {"b": {"$in": [7]}, "a": "x"}})
    assert shape_json(one) == shape_json(other)


def test_sort_keeps_order_and_directions() -> None:
    shape = shape_of(
        "find", {"find": "c", "sort": {"b": -1, "a": 1.0, "s": {"$meta": "textScore"}}}
    )
    assert shape_json(shape) == '{"sort":{"b":-1,"a":1,"s":{"$meta":"textScore"}}}'
    reversed_ = shape_of("find", {"find": "c", "sort": {"a": 1, "b": -1}})
    assert shape_json(reversed_) == '{"sort":{"a":1,"b":-1}}'


def test_or_keeps_branch_order() -> None:
    one = shape_of("find", {"find": "c", "filter": {"$or": [{"a": 1}, {"b": 1}]}})
    other = shape_of("find", {"find": "c", "filter": {"$or": [{"b": 1}, {"a": 1}]}})
    assert shape_json(one) == '{"filter":{"$or":[{"a":"?"},{"b":"?"}]}}'
    assert shape_json(other) == '{"filter":{"$or":[{"b":"?"},{"a":"?"}]}}'


def test_getmore_shares_the_shape_of_its_find_but_not_its_hash() -> None:
    find_op, find_shape = shape_of_attr({"type": "command", "command": OPLOG_FIND})
    more_op, more_shape = shape_of_attr(GETMORE_OPLOG)
    assert (find_op, more_op) == ("find", "getMore")
    assert find_shape == more_shape
    text = shape_json(find_shape)
    assert shape_hash("local.oplog.rs", find_op, text) != shape_hash(
        "local.oplog.rs", more_op, text
    )


def test_getmore_without_originating_command_has_empty_shape() -> None:
    assert shape_of("getMore", GETMORE_OPLOG["command"]) == {}  # type: ignore[arg-type]
    assert shape_of("getMore", None) == {}


def test_update_batch_keeps_distinct_statements_in_first_seen_order() -> None:
    same = [{"q": {"_id": i}, "u": {"$set": {"n": i}}, "upsert": True} for i in range(1000)]
    replacement = {"q": {"_id": 1}, "u": {"_id": 1, "n": 2}}
    multi = {"q": {"a": {"$lt": 3}}, "u": {"$inc": {"n": 1}}, "multi": True, "upsert": False}
    command = {"update": "c", "updates": [*same[:500], replacement, *same[500:], multi]}
    assert shape_of("update", command) == {
        "updates": [
            {"q": {"_id": "?"}, "u": {"$set": {"n": "?"}}, "upsert": True},
            {"q": {"_id": "?"}, "u": "?"},
            {"multi": True, "q": {"a": {"$lt": "?"}}, "u": {"$inc": {"n": "?"}}},
        ]
    }


def test_update_pipeline_keeps_stage_names() -> None:
    command = {"update": "c", "updates": [{"q": {}, "u": [{"$set": {"a": {"$add": [1, 2]}}}]}]}
    assert shape_of("update", command) == {"updates": [{"u": [{"$set": {"a": 1}}]}]}


def test_delete_batch_dedupes() -> None:
    deletes = [{"q": {"a": i}, "limit": 1} for i in range(100)]
    shape = shape_of("delete", {"delete": "c", "deletes": deletes})
    assert shape == {"deletes": [{"limit": "?", "q": {"a": "?"}}]}


def test_find_and_modify() -> None:
    command = {
        "findandmodify": "jobs",
        "query": {"state": "new", "at": {"$lte": 5}},
        "sort": {"at": 1},
        "update": {"$set": {"state": "taken"}},
        "new": True,
        "upsert": False,
        "fields": {"state": 1, "_id": 0},
        "lsid": LSID,
    }
    op = canonical_op(command, "command")
    assert op == "findAndModify"
    assert shape_of(op, command) == {
        "new": True,
        "projection": {"_id": 1, "state": 1},
        "query": {"at": {"$lte": "?"}, "state": "?"},
        "sort": {"at": 1},
        "update": {"$set": {"state": "?"}},
    }
    assert shape_of(op, {"findAndModify": "c", "query": {"a": 1}, "remove": True}) == {
        "query": {"a": "?"},
        "remove": True,
    }


def test_count_and_distinct() -> None:
    count = {"count": "c", "query": {"a": {"$gt": 1}}, "limit": 5, "skip": 0}
    assert shape_of("count", count) == {"limit": "?", "query": {"a": {"$gt": "?"}}, "skip": "?"}
    distinct = {"distinct": "c", "key": "city", "query": {"state": "NY"}}
    assert shape_of("distinct", distinct) == {"key": "city", "query": {"state": "?"}}


def test_find_drops_session_and_transport_fields() -> None:
    command = {
        "find": "c",
        "filter": {"a": 1},
        "skip": 10,
        "hint": {"a": 1, "b": -1},
        "lsid": LSID,
        "$clusterTime": CLUSTER_TIME,
        "txnNumber": 3,
        "readConcern": {"level": "majority"},
        "writeConcern": {"w": 1},
        "comment": "x",
        "maxTimeMS": 10,
        "batchSize": 2,
        "autocommit": False,
        "let": {"x": 1},
        "apiVersion": "1",
    }
    assert shape_of("find", command) == {
        "filter": {"a": "?"},
        "hint": {"a": 1, "b": -1},
        "skip": "?",
    }


def test_legacy_find_forms() -> None:
    wrapped = {"query": {"foo": 33.0}, "orderby": {"foo": -1.0}}
    assert shape_of(canonical_op(wrapped, "query"), wrapped) == {
        "filter": {"foo": "?"},
        "sort": {"foo": -1},
    }
    dollar = {"$query": {"a": 1}, "$orderby": {"b": 1}, "$hint": "b_1"}
    assert shape_of("find", dollar) == {"filter": {"a": "?"}, "hint": "b_1", "sort": {"b": 1}}
    bare = {"expireAfterSeconds": {"$exists": True}}
    assert shape_of("find", bare) == {"filter": {"expireAfterSeconds": {"$exists": "?"}}}


def test_aggregate_stages() -> None:
    pipeline = [
        {"$match": {"status": "A", "n": {"$gte": 2}}},
        {"$lookup": {"from": "o", "localField": "a", "foreignField": "b", "as": "j"}},
        {
            "$lookup": {
                "from": "o",
                "let": {"x": "$a"},
                "pipeline": [{"$match": {"$expr": {"$eq": ["$b", "$$x"]}}}, {"$limit": 1}],
                "as": "k",
            }
        },
        {"$unwind": "$j"},
        {"$unwind": {"path": "$k", "preserveNullAndEmptyArrays": True}},
        {"$group": {"_id": {"c": "$city"}, "total": {"$sum": "$n"}, "one": {"$sum": 1}}},
        {"$sort": {"total": -1, "_id": 1}},
        {"$skip": 5},
        {"$limit": 10},
        {"$project": {"total": 1, "_id": 0, "x": {"$add": [1, 2]}}},
        {"$unset": ["b", "a"]},
        {"$facet": {"b": [{"$count": "n"}], "a": [{"$match": {"x": 1}}]}},
        {"$unionWith": {"coll": "other", "pipeline": [{"$match": {"y": 2}}]}},
        {"$out": "results"},
        {"$merge": {"into": "t"}},
        {"$bucket": {"groupBy": "$p", "boundaries": [0, 10]}},
    ]
    assert shape_of("aggregate", {"aggregate": "c", "pipeline": pipeline, "cursor": {}}) == {
        "pipeline": [
            {"$match": {"n": {"$gte": "?"}, "status": "?"}},
            {"$lookup": {"as": "j", "foreignField": "b", "from": "o", "localField": "a"}},
            {
                "$lookup": {
                    "as": "k",
                    "from": "o",
                    "pipeline": [
                        {"$match": {"$expr": {"$eq": ["$b", "$$x"]}}},
                        {"$limit": "?"},
                    ],
                }
            },
            {"$unwind": "$j"},
            {"$unwind": "$k"},
            {"$group": {"_id": {"c": "$city"}, "one": {"$sum": "?"}, "total": {"$sum": "$n"}}},
            {"$sort": {"total": -1, "_id": 1}},
            {"$skip": "?"},
            {"$limit": "?"},
            {"$project": {"_id": 1, "total": 1, "x": 1}},
            {"$unset": {"a": 1, "b": 1}},
            {"$facet": {"a": [{"$match": {"x": "?"}}], "b": [{"$count": "?"}]}},
            {"$unionWith": {"coll": "other", "pipeline": [{"$match": {"y": "?"}}]}},
            {"$out": "?"},
            {"$merge": "?"},
            {"$bucket": "?"},
        ]
    }


def test_long_pipeline_is_cut() -> None:
    pipeline = [{"$match": {"a": i}} for i in range(MAX_STAGES + 20)]
    shape = shape_of("aggregate", {"aggregate": "c", "pipeline": pipeline})
    assert len(shape["pipeline"]) == MAX_STAGES


@pytest.mark.parametrize(
    ("op", "command"),
    [
        ("find", {"find": "c", "filter": "not a filter", "sort": [1], "projection": 3}),
        ("find", {"find": "c", "filter": None, "limit": None, "hint": 5}),
        ("aggregate", {"aggregate": "c", "pipeline": {"$match": {}}}),
        ("aggregate", {"aggregate": "c", "pipeline": [1, "x", {}, {"a": 1}, {"$match": 3}]}),
        ("update", {"update": "c", "updates": {"q": {}}}),
        ("update", {"update": "c", "updates": [1, None, {"q": 5, "u": 7}]}),
        ("delete", {"delete": "c", "deletes": "x"}),
        ("createIndexes", {"createIndexes": "c", "indexes": [1, {"key": 5}, {"key": {"a": []}}]}),
        ("distinct", {"distinct": "c", "key": 5, "query": []}),
        ("findAndModify", {"findAndModify": "c", "update": [{"$set": 1}], "remove": "yes"}),
        ("find", {"find": "c", "filter": {"$truncated": "…"}}),
    ],
)
def test_unexpected_field_types_are_data(op: str, command: dict[str, object]) -> None:
    shape = shape_of(op, command)
    assert normalize_shape(shape) == shape
    orjson.loads(shape_json(shape))


def test_deep_nesting_is_capped_without_recursion_error() -> None:
    deep_filter: object = 1
    deep_list: object = 1
    deep_pipeline: object = []
    for _ in range(5000):
        deep_filter = {"a": {"$elemMatch": {"$or": [deep_filter]}}}
        deep_list = [deep_list]
        deep_pipeline = [{"$facet": {"f": deep_pipeline}}]
    command = {
        "aggregate": "c",
        "pipeline": [{"$match": deep_filter}, {"$group": {"_id": deep_list}}, *deep_pipeline],
    }
    for op, cmd in [("aggregate", command), ("find", {"find": "c", "filter": deep_filter})]:
        shape = shape_of(op, cmd)
        text = shape_json(shape)
        assert PLACEHOLDER in text
        assert text.count("[") + text.count("{") < 20 * MAX_DEPTH
        assert normalize_shape(shape) == shape
    assert normalize_filter(normalize_filter(deep_filter)) == normalize_filter(deep_filter)


def test_shape_hash_is_stable() -> None:
    assert shape_hash("test.c", "find", '{"filter":{"a":"?"}}') == "5fc9dd5e24dae25e"
    assert shape_hash("test.c", "find", "{}") != shape_hash("test.d", "find", "{}")
    assert shape_hash("ab", "c", "") != shape_hash("a", "bc", "")


def test_shape_json_never_raises_on_odd_values() -> None:
    assert (
        shape_json({"n": 2**80, "s": "\ud800"}) == '{"n":1208925819614629174706176,"s":"\\ud800"}'
    )


# --- properties -----------------------------------------------------------------------

OPERATORS = [
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$all", "$and", "$or",
    "$nor", "$not", "$elemMatch", "$regex", "$options", "$exists", "$type", "$size",
    "$mod", "$where", "$expr", "$text", "$jsonSchema", "$near", "$geoWithin", "$comment",
    "$literal", "$sum", "$meta", "$hint", "$query", "$orderby",
    "$oid", "$date", "$numberLong", "$uuid", "$binary", "$regularExpression",
    "$timestamp", "$minKey", "$ref", "$id", "$set", "$unset", "$inc", "$push",
]  # fmt: skip
STAGES = [
    "$match", "$sort", "$limit", "$skip", "$project", "$addFields", "$set", "$unset",
    "$unwind", "$lookup", "$group", "$facet", "$count", "$unionWith", "$out", "$sortByCount",
]  # fmt: skip
FIELDS = [
    "a", "b", "_id", "x.y", "", "?", "pattern", "path", "from", "as", "pipeline", "key",
    "filter", "query", "q", "u", "sort", "hint", "limit", "updates", "deletes", "multi",
]  # fmt: skip

keys = st.sampled_from(OPERATORS + STAGES + FIELDS) | st.text(max_size=4)
strings = st.sampled_from(["^a", "^.*a", "a", "$a", "$$NOW", "?", "^?", ""]) | st.text(max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | strings
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=40,
)
operator_docs = st.dictionaries(st.sampled_from(OPERATORS), json_values, min_size=1, max_size=3)
filters = st.recursive(
    st.dictionaries(st.sampled_from(FIELDS), scalars | operator_docs, max_size=4),
    lambda children: st.dictionaries(
        st.sampled_from(FIELDS + OPERATORS),
        children | st.lists(children, max_size=3) | operator_docs | json_values,
        max_size=4,
    ),
    max_leaves=20,
)
stages = st.dictionaries(
    st.sampled_from(STAGES), filters | json_values | st.text(max_size=3), min_size=1, max_size=1
)
pipelines = st.lists(stages, max_size=6) | json_values
statements = st.fixed_dictionaries(
    {"q": filters},
    optional={
        "u": operator_docs | pipelines | json_values,
        "multi": st.booleans(),
        "upsert": st.booleans(),
        "limit": st.integers(0, 1),
    },
)
find_parts = {"sort": json_values, "projection": json_values, "limit": json_values}
commands = st.one_of(
    st.fixed_dictionaries(
        {"find": st.text(max_size=3)},
        optional={"filter": filters, "hint": json_values, "skip": scalars, **find_parts},
    ),
    st.fixed_dictionaries({"aggregate": st.text(max_size=3)}, optional={"pipeline": pipelines}),
    st.fixed_dictionaries({"count": st.just("c")}, optional={"query": filters}),
    st.fixed_dictionaries({"distinct": st.just("c"), "key": json_values, "query": filters}),
    st.fixed_dictionaries(
        {"update": st.just("c")}, optional={"updates": st.lists(statements, max_size=5)}
    ),
    st.fixed_dictionaries(
        {"delete": st.just("c")}, optional={"deletes": st.lists(statements, max_size=5)}
    ),
    st.fixed_dictionaries(
        {"findAndModify": st.just("c")},
        optional={"query": filters, "update": json_values, "new": json_values, **find_parts},
    ),
    st.fixed_dictionaries(
        {"createIndexes": st.just("c")},
        optional={"indexes": st.lists(st.fixed_dictionaries({"key": json_values}))},
    ),
    statements,
    st.dictionaries(keys, json_values, max_size=5),
)
op_types = st.sampled_from(["command", "query", "getmore", "update", "remove", "insert", "none"])


@given(json_values)
def test_normalize_filter_never_raises_and_is_idempotent(value: object) -> None:
    once = normalize_filter(value)
    assert normalize_filter(once) == once
    orjson.loads(shape_json(once))


@settings(max_examples=300)
@given(filters)
def test_normalize_filter_is_idempotent_on_filters(expr: object) -> None:
    once = normalize_filter(expr)
    assert normalize_filter(once) == once


@settings(max_examples=300)
@given(commands, op_types | st.none())
def test_shape_of_commands_is_a_fixed_point_of_normalize_shape(
    command: dict[str, object], op_type: str | None
) -> None:
    op = canonical_op(command, op_type)
    shape = shape_of(op, command)
    assert normalize_shape(shape) == shape
    assert shape_json(normalize_shape(shape)) == shape_json(shape)
    orjson.loads(shape_json(shape))


@given(st.sampled_from(["find", "aggregate", "update", "delete", "getMore", "x"]), json_values)
def test_shape_of_never_raises_on_any_value(op: str, command: object) -> None:
    shape = shape_of(op, command)  # type: ignore[arg-type]
    assert normalize_shape(shape) == shape
    canonical_op(command, op)  # type: ignore[arg-type]


@given(st.dictionaries(keys, json_values, max_size=6))
def test_normalize_shape_twice_equals_once(shape: dict[str, object]) -> None:
    once = normalize_shape(shape)
    assert normalize_shape(once) == once
