"""MongoDB 4.4+ structured JSON logs (one JSON object per line).

simdjson validates each line and lets us read only the header of the ~60% of lines that are
plain events; the attributes of interesting messages (slow queries, authentication,
connections, client metadata) are materialized as dicts.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import simdjson

from loglake.formats.base import (
    BadLine,
    BadReason,
    BlockParser,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    Row,
    classify_garbage,
)
from loglake.formats.levels import mongodb_level
from loglake.formats.mongodb.commands import FULL_SCAN_STAGE, SYSTEM_DBS, command_collection
from loglake.formats.mongodb.shape import canonical_op, shape_hash, shape_text
from loglake.formats.timestamps import IsoParser
from loglake.schema import Stream

SLOW_QUERY = 51803
AUTH_OK = (20250, 5286306)
AUTH_FAIL = (20249, 5286307)
CONN_ACCEPTED = 22943
CONN_ENDED = 22944
CLIENT_METADATA = 51800
MONGOD_STARTING = 4615611
INTERESTING = {SLOW_QUERY, *AUTH_OK, *AUTH_FAIL, CONN_ACCEPTED, CONN_ENDED, CLIENT_METADATA}

_EVENTS = Stream.EVENTS
_MESSAGE_LIMIT = 4096
_ID_WINDOW = 160  # mongod writes "id" within the first ~100 bytes of a line

# attr key -> (slow_queries column, kind); one pass over the attributes fills the row
_I, _S, _B, _F = 0, 1, 2, 3
_SLOW_SPEC: dict[str, tuple[str, int]] = {
    "docsExamined": ("docs_examined", _I),
    "keysExamined": ("keys_examined", _I),
    "nreturned": ("nreturned", _I),
    "nMatched": ("nmatched", _I),
    "nModified": ("nmodified", _I),
    "ninserted": ("ninserted", _I),
    "ndeleted": ("ndeleted", _I),
    "keysInserted": ("keys_inserted", _I),
    "keysDeleted": ("keys_deleted", _I),
    "reslen": ("reslen", _I),
    "numYields": ("num_yields", _I),
    "writeConflicts": ("write_conflicts", _I),
    "cpuNanos": ("cpu_nanos", _I),
    "planningTimeMicros": ("planning_micros", _I),
    "errCode": ("error_code", _I),
    "queryHash": ("query_hash", _S),
    "planCacheKey": ("plan_cache_key", _S),
    "queryShapeHash": ("query_shape_hash", _S),
    "planCacheShapeHash": ("plan_cache_shape_hash", _S),
    "appName": ("app_name", _S),
    "errName": ("error_name", _S),
    "planSummary": ("plan_summary", _S),
    "hasSortStage": ("has_sort_stage", _B),
    "usedDisk": ("used_disk", _B),
    "fromMultiPlanner": ("from_multi_planner", _B),
    "replanned": ("replanned", _B),
    "durationMillis": ("duration_ms", _F),
    "workingMillis": ("working_millis", _F),
}


def sniff(lines: list[bytes]) -> float:
    """Share of lines that look like structured mongod JSON records."""
    if not lines:
        return 0.0
    hits = sum(1 for line in lines if line.lstrip().startswith(b'{"t":'))
    return hits / len(lines)


def split_host_port(remote: object) -> tuple[str | None, int | None]:
    """`1.2.3.4:5678` or `[::1]:5678` -> (address, port)."""
    if not isinstance(remote, str) or not remote:
        return None, None
    address, sep, port = remote.rpartition(":")
    if not sep or not port.isdigit():
        return remote, None
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    return address, int(port)


def connection_number(context: object) -> int | None:
    """`conn123` -> 123."""
    if isinstance(context, str) and context.startswith("conn") and context[4:].isdigit():
        return int(context[4:])
    return None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, dict):  # {"$numberLong": "123"}
        inner = value.get("$numberLong") or value.get("$numberInt")
        if isinstance(inner, str) and inner.lstrip("-").isdigit():
            return int(inner)
    return None


def _str_or_none(value: object) -> str | None:
    """A header field that is not a string, as text the way DuckDB's JSON reading gives it
    (the block paths' rule): `true`/`false`, numbers as written, objects and arrays as
    compact JSON (never a Python or simdjson repr)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, simdjson.Object):
        value = value.as_dict()
    elif isinstance(value, simdjson.Array):
        value = value.as_list()
    if isinstance(value, dict | list):
        try:
            return orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits in it
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _dict_or_empty(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _uuid_text(value: object) -> str | None:
    """A connection uuid logged as a string, `{"$uuid": …}` or `{"uuid": {"$uuid": …}}`."""
    while isinstance(value, dict):
        value = value.get("$uuid", value.get("uuid"))
    return _str_or_none(value)


def query_identity(ns: object, op_type: object, command: object, originating: object) -> Row:
    """db, collection, namespace, op, op_type, shape and shape_hash of a slow operation.

    `namespace` is kept as mongod logged it (`db.$cmd` for command-level writes and admin
    commands), so counts match the log; `collection` is the collection the operation works
    on, which for a `db.$cmd` command is the one the command names.
    """
    namespace = ns if type(ns) is str else None
    db = collection = None
    if namespace:
        db, _, collection = namespace.partition(".")
    if type(command) is not dict:
        command = None
    kind = _str_or_none(op_type)
    op = canonical_op(command, kind)
    if collection == "$cmd":
        collection = command_collection(command) or collection
    shape_source = command
    if op == "getMore":
        shape_source = originating if type(originating) is dict else None
    shape = shape_text(op, shape_source)
    return {
        "db": db,
        "collection": collection,
        "namespace": namespace,
        "op": op,
        "op_type": kind,
        "shape": shape,
        "shape_hash": shape_hash(namespace or "", op, shape),
        "is_system": db in SYSTEM_DBS,
    }


def slow_query_row(attr: dict[str, Any], context: object, truncated: bool) -> Row:
    """The slow_queries row of a 51803 "Slow query" line."""
    row: Row = {"engine": "mongodb", "truncated": truncated}
    spec_of = _SLOW_SPEC.get
    for key, value in attr.items():
        spec = spec_of(key)
        if spec is None or value is None:
            continue
        column, kind = spec
        kind_of = type(value)
        if kind == _I:
            row[column] = value if kind_of is int else _int_or_none(value)
        elif kind == _S:
            row[column] = value if kind_of is str else str(value)
        elif kind == _B:
            row[column] = bool(value)
        elif kind_of is int or kind_of is float:
            row[column] = float(value)
    row.update(
        query_identity(
            attr.get("ns"), attr.get("type"), attr.get("command"), attr.get("originatingCommand")
        )
    )
    row["connection_id"] = connection_number(context)
    plan_summary = row.get("plan_summary")
    if plan_summary:
        row["plan"] = plan_summary.split(" ", 1)[0].rstrip(",")
    row["full_scan"] = row.get("plan") == FULL_SCAN_STAGE
    storage = attr.get("storage")
    if type(storage) is dict:
        data = storage.get("data")
        if type(data) is dict:
            row["bytes_read"] = _int_or_none(data.get("bytesRead"))
            row["time_reading_micros"] = _int_or_none(data.get("timeReadingMicros"))
    remote = attr.get("remote")
    if remote is not None:
        row["client_ip"], row["client_port"] = split_host_port(remote)
    return row


def auth_row(msg_id: int, attr: dict[str, Any], context: object) -> Row:
    """The authentications row of any version's success or failure message."""
    ok = msg_id in AUTH_OK
    user = attr.get("user", attr.get("principalName"))
    auth_db = attr.get("db", attr.get("authenticationDatabase"))
    error = attr.get("error")
    result = attr.get("result")
    error_code = None
    if isinstance(result, int) and not isinstance(result, bool):
        error_code = result or None
    elif isinstance(result, str) and not ok and error is None:
        error = result  # early 4.4: "result":"UserNotFound: ..."
    client_ip, client_port = split_host_port(attr.get("remote", attr.get("client")))
    return {
        "user": _str_or_none(user) or None,
        "auth_db": _str_or_none(auth_db) or None,
        "mechanism": _str_or_none(attr.get("mechanism")) or None,
        "result": "success" if ok else "failure",
        "error": _str_or_none(error),
        "error_code": error_code,
        "connection_id": connection_number(context),
        "client_ip": client_ip,
        "client_port": client_port,
    }


def connection_row(msg_id: int, attr: dict[str, Any], context: object) -> Row:
    """The connections row of an accepted, ended or client-metadata message."""
    client_ip, client_port = split_host_port(attr.get("remote"))
    row: Row = {"client_ip": client_ip, "client_port": client_port}
    if msg_id == CLIENT_METADATA:
        row["event"] = "metadata"
        row["connection_id"] = connection_number(attr.get("client", context))
        doc = attr.get("doc")
        if isinstance(doc, dict):
            driver = _dict_or_empty(doc.get("driver"))
            os_doc = _dict_or_empty(doc.get("os"))
            app = _dict_or_empty(doc.get("application"))
            row["driver_name"] = _str_or_none(driver.get("name"))
            row["driver_version"] = _str_or_none(driver.get("version"))
            row["os_type"] = _str_or_none(os_doc.get("type"))
            row["os_name"] = _str_or_none(os_doc.get("name"))
            row["app_name"] = _str_or_none(app.get("name"))
            row["platform"] = _str_or_none(doc.get("platform"))
        return row
    row["event"] = "accepted" if msg_id == CONN_ACCEPTED else "ended"
    row["connection_id"] = _int_or_none(attr.get("connectionId"))
    if row["connection_id"] is None:
        row["connection_id"] = connection_number(context)
    row["connection_count"] = _int_or_none(attr.get("connectionCount"))
    row["uuid"] = _uuid_text(attr.get("uuid"))
    return row


def _prefix_id(line: bytes) -> int | None:
    """The message id from the start of a line, without parsing it (mongod writes it early)."""
    at = line.find(b'"id":', 0, _ID_WINDOW)
    if at < 0:
        return None
    digits = line[at + 5 : at + 16].split(b",", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


def make_parser(ctx: FileContext) -> LineParser:
    """A line parser for structured mongod logs.

    Lines whose id is interesting are parsed whole by orjson (fastest at building dicts);
    the others are validated by simdjson, which lets us read just their header.
    """
    json_parser = simdjson.Parser()
    iso = IsoParser()

    def parse(line: bytes) -> Parsed | BadLine:
        try:
            doc = orjson.loads(line) if _prefix_id(line) in INTERESTING else json_parser.parse(line)
        except (ValueError, RuntimeError):
            doc = _lenient_json(line)  # integers beyond 64 bits, NaN: valid to Python's json
            if doc is None:
                if line.lstrip()[:1] == b"{" and b"\x00" not in line:
                    return BadLine(BadReason.INVALID_JSON)
                return BadLine(classify_garbage(line))
        try:
            return _record(doc, iso)
        except (AttributeError, KeyError, TypeError, ValueError, RuntimeError):
            return BadLine(BadReason.NOT_A_RECORD)
        finally:
            del doc

    return parse


def _lenient_json(line: bytes) -> Any:
    """Python's json reading of a line the fast parsers refused, or None."""
    if line.lstrip()[:1] != b"{":
        return None
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _record(doc: Any, iso: IsoParser) -> Parsed | BadLine:
    """A parsed line (a dict from orjson, or a lazy simdjson Object) as rows."""
    if not isinstance(doc, dict | simdjson.Object) or "t" not in doc:
        return BadLine(BadReason.NOT_A_RECORD)
    t = doc["t"]
    text = t.get("$date") if isinstance(t, dict | simdjson.Object) else t
    del t
    ts = iso(text) if type(text) is str else None
    if ts is None:
        return BadLine(BadReason.BAD_TIMESTAMP)
    msg_id = doc.get("id")
    if type(msg_id) is not int:
        msg_id = None
    context = doc.get("ctx")
    message = doc.get("msg")
    if type(message) is str:
        if len(message) > _MESSAGE_LIMIT:
            message = message[:_MESSAGE_LIMIT]
    else:
        message = _str_or_none(message)
    severity = doc.get("s")
    component = doc.get("c")
    event: Row = {
        "ts": ts,
        "severity": severity if type(severity) is str else _str_or_none(severity),
        "level": mongodb_level(severity) if type(severity) is str else None,
        "component": component if type(component) is str else _str_or_none(component),
        "msg_id": msg_id,
        "context": context if type(context) is str else _str_or_none(context),
        "message": message,
    }
    if msg_id not in INTERESTING:
        return Parsed([(_EVENTS, event)])
    raw_attr = doc.get("attr")
    if isinstance(raw_attr, simdjson.Object):
        attr = raw_attr.as_dict()
    else:
        attr = raw_attr if type(raw_attr) is dict else {}
    del raw_attr
    duration = attr.get("durationMillis")
    if type(duration) is int or type(duration) is float:
        event["duration_ms"] = float(duration)
    if msg_id == SLOW_QUERY:
        truncated = "truncated" in doc
        row = slow_query_row(attr, context, truncated)
        stream = Stream.SLOW_QUERIES
    elif msg_id in AUTH_OK or msg_id in AUTH_FAIL:
        row = auth_row(msg_id, attr, context)
        stream = Stream.AUTHENTICATIONS
        event["user"] = row["user"]
    else:
        row = connection_row(msg_id, attr, context)
        stream = Stream.CONNECTIONS
    row["ts"] = ts
    return Parsed([(_EVENTS, event), (stream, row)])


def block_parser(ctx: FileContext, max_line: int) -> BlockParser:
    """The vectorized parser of this format: one C pass per line where the extension is
    built (json_block_c.py), else DuckDB's JSON functions (json_block.py)."""
    from loglake.formats.mongodb import json_block_c

    if json_block_c.available():
        return json_block_c.CompiledBlockParser(ctx, max_line)
    from loglake.formats.mongodb.json_block import JsonBlockParser

    return JsonBlockParser(ctx, max_line)


def host_of(head: list[bytes]) -> str | None:
    """The `host:port` from a "MongoDB starting" line among the first lines, if any."""
    parser = simdjson.Parser()
    for line in head:
        if b'"id":4615611' not in line:
            continue
        try:
            doc = parser.parse(line)
            attr = doc.get("attr") if isinstance(doc, simdjson.Object) else None
            values = attr.as_dict() if isinstance(attr, simdjson.Object) else {}
            del attr, doc
        except (ValueError, RuntimeError):
            continue
        host, port = values.get("host"), values.get("port")
        if isinstance(host, str):
            return f"{host}:{port}" if port else host
    return None


SPEC = FormatSpec(
    name="mongodb",
    priority=Priority.SPECIFIC,
    sniff=sniff,
    make_parser=make_parser,
    block_parser=block_parser,
    host_of=host_of,
    full_scan_plans=(FULL_SCAN_STAGE,),
)
