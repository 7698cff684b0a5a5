"""Slow operations in MongoDB 2.2-4.2 text logs: `<op> <ns> <field>: <value> … <N>ms`.

One such line gives one slow_queries row. Its fields are read by `shell_syntax`; the
command is rebuilt in its modern form from the legacy query, update, remove and getmore
forms (a `$query`/`$orderby` wrapper becomes a find, an update or remove its statement
list), so its shape groups with the same operation in a 4.4+ JSON log. Counters, plan,
storage and error fields fill the rest of the row, under both their 2.x and 3.x+ names.
A line that mongod cut to its head and tail (`warning: log line attempted … ...`) is read
from its tail and marked truncated.
"""

from __future__ import annotations

import re
from typing import Any

from loglake.formats.base import Row
from loglake.formats.mongodb.commands import FULL_SCAN_STAGE, SYSTEM_DBS, command_collection
from loglake.formats.mongodb.json_line import connection_number
from loglake.formats.mongodb.shape import canonical_op, shape_hash, shape_text
from loglake.formats.mongodb.shell_syntax import parse_document, read_fields

_OPS = ("query", "getmore", "update", "remove", "insert", "command", "killcursors")
# How a slow-operation message starts; it also ends with `ms`.
OP_PREFIXES = (*(op + " " for op in _OPS), "warning: log line attempted")
_NS = re.compile(r"([^\s:{]+)(?= )")
_STAGE = re.compile(r"[A-Z][A-Z_]*")
# Field -> column for the counters and strings of a slow operation (2.x names included).
_COUNTERS = {
    "docsExamined": "docs_examined",
    "nscannedObjects": "docs_examined",
    "keysExamined": "keys_examined",
    "nscanned": "keys_examined",
    "nreturned": "nreturned",
    "nMatched": "nmatched",
    "nModified": "nmodified",
    "nupdated": "nmodified",
    "ninserted": "ninserted",
    "ndeleted": "ndeleted",
    "keysInserted": "keys_inserted",
    "keysDeleted": "keys_deleted",
    "reslen": "reslen",
    "numYields": "num_yields",
    "writeConflicts": "write_conflicts",
    "planningTimeMicros": "planning_micros",
    "errCode": "error_code",
}
_STRINGS = {
    "queryHash": "query_hash",
    "planCacheKey": "plan_cache_key",
    "errName": "error_name",
}
_FLAGS = {
    "hasSortStage": "has_sort_stage",
    "scanAndOrder": "has_sort_stage",
    "usedDisk": "used_disk",
    "fromMultiPlanner": "from_multi_planner",
    "replanned": "replanned",
}
_WRAPPER_KEYS = frozenset(
    {"query", "orderby", "hint", "explain", "snapshot", "$query", "$orderby", "$hint"}
    | {"$explain", "$snapshot", "$maxScan", "$comment", "$readPreference", "$maxTimeMS"}
    | {"$min", "$max", "$returnKey", "$showDiskLoc"}
)


def slow_query_row(msg: str, context: str | None) -> Row | None:
    """The slow_queries row of a `<op> <ns> … <N>ms` message, or None if it is not one."""
    truncated = False
    if msg.startswith("warning: log line attempted"):  # mongod kept only head and tail
        msg = msg[msg.find(" ... ") + 5 :]
        truncated = True
    space = msg.rfind(" ")
    duration = msg[space + 1 : -2]
    op_type, _, _ = msg.partition(" ")
    if not duration.isdigit() or op_type not in _OPS:
        return None
    pos = len(op_type) + 1
    while msg.startswith(" ", pos):
        pos += 1
    ns_match = _NS.match(msg, pos, space + 1)
    namespace = ns_match[1] if ns_match else ""
    if ns_match:
        pos = ns_match.end()
    fields, complete = read_fields(msg, pos, space)
    db, _, coll = namespace.partition(".")
    cmd, source = _command(op_type, coll or None, fields)
    target = command_collection(cmd) if coll == "$cmd" else None
    if target:  # 2.6-4.2 log CRUD commands under db.$cmd; 4.4+ under their collection
        coll, namespace = target, f"{db}.{target}"
    raw = fields.get("command")
    if isinstance(raw, dict) and ("$truncated" in raw or "$msg" in raw):
        truncated = True
    op = canonical_op(cmd, op_type)
    shape = shape_text(op, source if isinstance(source, dict) else None)
    row: Row = {
        "engine": "mongodb",
        "db": db or None,
        "collection": coll or None,
        "namespace": namespace or None,
        "op": op,
        "op_type": op_type,
        "connection_id": connection_number(context),
        "duration_ms": float(duration),
        "shape": shape,
        "shape_hash": shape_hash(namespace, op, shape),
        "truncated": truncated or not complete,
        "is_system": db in SYSTEM_DBS,
    }
    _fill_metrics(row, fields)
    return row


def _command(op_type: str, coll: str | None, fields: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """(the command in its modern form, the source of its shape) for one slow operation."""
    doc, query = fields.get("command"), fields.get("query")
    doc = doc if isinstance(doc, dict) else None
    query = query if isinstance(query, dict) else None
    if op_type == "command":
        cmd = doc or {}
        if isinstance(cmd.get("$truncated"), str):  # 3.6+: the start of the command, as text
            cmd, _, _ = parse_document(cmd["$truncated"])
            cmd = cmd if isinstance(cmd, dict) else {}
        name = fields.get("command.name")
        if name and (not cmd or str(next(iter(cmd))).lower() != name.lower()):
            cmd = {name: 1}  # `{ $msg: "query not recording (too large)" }` and the like
        origin = fields.get("originatingCommand")
        return cmd, origin if isinstance(origin, dict) else cmd
    if op_type == "query":
        cmd = _unwrap(query if query is not None else {}, coll)
        return cmd, cmd
    if op_type == "getmore":
        cmd = {"getMore": parse_int(str(fields.get("cursorid", 0))), "collection": coll}
        return cmd, _unwrap(query, coll) if query is not None else None
    if op_type in ("update", "remove"):
        stmt = doc if doc is not None and "q" in doc else {"q": query or {}}
        if op_type == "update":
            if "u" not in stmt:
                stmt["u"] = fields.get("update") or {}
            return {"update": coll, "updates": [stmt]}, {"update": coll, "updates": [stmt]}
        return {"delete": coll, "deletes": [stmt]}, {"delete": coll, "deletes": [stmt]}
    cmd = {"insert" if op_type == "insert" else "killCursors": coll}
    return cmd, cmd


def _unwrap(query: dict[str, Any], coll: str | None) -> dict[str, Any]:
    """A legacy query document as a find command (`$query`/`$orderby` wrappers unwrapped)."""
    first = next(iter(query), None)
    if first in ("find", "aggregate") and isinstance(query[first], str):
        return query  # already a command (3.2+ getmore `query:`)
    inner_key = "$query" if "$query" in query else "query"
    if inner_key in query and (inner_key == "$query" or query.keys() <= _WRAPPER_KEYS):
        cmd: dict[str, Any] = {"find": coll, "filter": query[inner_key]}
        for src, dst in (("$orderby", "sort"), ("orderby", "sort"), ("$hint", "hint")):
            if src in query:
                cmd[dst] = query[src]
        return cmd
    return {"find": coll, "filter": query}


def _fill_metrics(row: Row, fields: dict[str, Any]) -> None:
    """Counters, flags, plan and error columns from the scanned fields."""
    row["app_name"] = fields.get("appName")
    for key, value in fields.items():
        if key in _COUNTERS:
            row[_COUNTERS[key]] = parse_int(value)
        elif key in _STRINGS:
            row[_STRINGS[key]] = value
        elif key in _FLAGS:
            row[_FLAGS[key]] = value in ("1", "true")
    summary = fields.get("planSummary")
    if summary:
        row["plan_summary"] = summary
        row["plan"] = _STAGE.match(summary)[0]  # type: ignore[index]
    row["full_scan"] = row.get("plan") == FULL_SCAN_STAGE
    if "code" in fields and fields["exception"]:  # `code:` is an error code only here
        row["error_code"] = parse_int(fields["code"])
    for name, value in fields.get("storage", ()):
        row["bytes_read" if name == "bytesRead" else "time_reading_micros"] = int(value)


def parse_int(text: str) -> int | None:
    """A logged number (`42`, `4.2e1`) as an int, or None if it is not one."""
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return None
