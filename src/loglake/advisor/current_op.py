"""`db.currentOp()` output analyzed: long-running ops, lock waits, collection scans in progress.

Accepts the `{inprog: [...], ok: 1}` document, a plain array of operations, the
`{cursor: {firstBatch: [...]}}` of a `$currentOp` aggregation, or one operation; as parsed
JSON or as text — strict JSON, Extended JSON (`{"$numberLong": "5"}`) or what the mongo
shell prints (`NumberLong(5)`, `ISODate("…")`, `ObjectId("…")`, unquoted keys). Commands
are shown as their query shape (values replaced), so pasted output does not leak data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from loglake.analytics.params import Param
from loglake.errors import InputError
from loglake.formats.mongodb.shape import canonical_op, shape_json, shape_of
from loglake.formats.mongodb.shell_syntax import parse_document

LONG_RUNNING_SECS = 5.0
LONG_RUNNING = Param(
    "long_running_secs", "float", "seconds after which a running op counts as long-running",
    LONG_RUNNING_SECS, minimum=0, maximum=10_000_000,
)  # fmt: skip
MAX_OPS = 20_000
MAX_GROUPS = 50
MAX_COMMAND = 300
_MAX_INT = 2**63 - 1  # JSON answers hold 64-bit integers
# Extended JSON and mongosh constructors (`Long('5')` reads as {"$Long": "'5'"})
_NUMBERS: dict[str, Callable[[str], Any]] = {
    "$numberLong": int,
    "$numberInt": int,
    "$numberDouble": float,
    "$numberDecimal": float,
    "$Long": int,
    "$Int32": int,
    "$Double": float,
    "$Decimal128": float,
}


def parse_text(text: str) -> Any:
    """Pasted currentOp output (JSON, Extended JSON or mongo-shell syntax) as Python values."""
    stripped = text.strip()
    if not stripped:
        raise InputError("currentOp: the pasted text is empty; paste the output of db.currentOp()")
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    starts = sorted(i for i in (stripped.find("{"), stripped.find("[")) if i >= 0)
    if not starts:
        raise InputError(
            "currentOp: no document or array found; paste the output of db.currentOp() "
            "(a document with an inprog array) or an array of operations"
        )
    end = starts[0]
    for start in starts:  # a mongosh prompt such as `[direct: primary] test>` may come first
        value, end, complete = parse_document(stripped, start)
        if complete and "{" not in stripped[end:]:  # a trailing shell prompt is fine
            return value
    raise InputError(
        f"currentOp: could not read the pasted text near character {end}: "
        f"{stripped[end : end + 40]!r}; paste the complete output of db.currentOp()"
    )


def _plain(value: Any) -> Any:
    """Extended-JSON wrappers ($numberLong, $date, $oid) as plain numbers and strings."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key in _NUMBERS:
                try:
                    return _NUMBERS[key](str(inner).strip("'\""))
                except ValueError:
                    return inner
            if key == "$date":
                return _plain(inner)
            if key == "$oid":
                return str(inner)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _operations(doc: Any) -> list[Any]:
    """The list of operations in any accepted layout."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, Mapping):
        raise InputError(
            f"currentOp: expected a document with an inprog array or an array of operations, "
            f"got {type(doc).__name__}"
        )
    if isinstance(doc.get("inprog"), list):
        return list(doc["inprog"])
    cursor = doc.get("cursor")
    if isinstance(cursor, Mapping) and isinstance(cursor.get("firstBatch"), list):
        return list(cursor["firstBatch"])
    if "opid" in doc:
        return [doc]
    if doc.get("ok") == 0:
        raise InputError(f"currentOp: the command failed: {doc.get('errmsg') or doc}")
    raise InputError(
        "currentOp: the document has no inprog array; paste the output of db.currentOp()"
    )


def _number(value: Any) -> float | None:
    """A finite number as a float, or None (pasted output can hold any type or size)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _opid(value: Any) -> int | str | None:
    """An opid: a number, or `shard:number` on mongos."""
    if isinstance(value, str) or (isinstance(value, int) and abs(value) <= _MAX_INT):
        return value if not isinstance(value, bool) else None
    return None


def _text(value: Any) -> str | None:
    """A string field, or None for anything else (pasted output can hold any type)."""
    return value if isinstance(value, str) and value else None


def _client_ip(client: Any) -> str | None:
    """`10.0.0.5:53211` -> `10.0.0.5`; `[::1]:5000` -> `::1`."""
    if not isinstance(client, str) or not client:
        return None
    if client.startswith("["):
        return client[1:].split("]", 1)[0]
    host, sep, port = client.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else client


def _lock_wait(lock_stats: Any) -> tuple[int, int]:
    """(waits, microseconds waited) summed over every lock kind and mode of lockStats."""
    waits = micros = 0
    for stats in lock_stats.values() if isinstance(lock_stats, Mapping) else ():
        if not isinstance(stats, Mapping):
            continue
        for name, target in (("acquireWaitCount", "waits"), ("timeAcquiringMicros", "micros")):
            modes = stats.get(name)
            values = modes.values() if isinstance(modes, Mapping) else ()
            total = int(sum(n for n in map(_number, values) if n is not None))
            if target == "waits":
                waits += total
            else:
                micros += total
    return min(waits, _MAX_INT), min(micros, _MAX_INT)


def _command_shape(op: Mapping[str, Any]) -> str | None:
    """The op's command (or legacy query) as a shape, truncated."""
    command = op.get("command") if isinstance(op.get("command"), Mapping) else op.get("query")
    if not isinstance(command, Mapping) or not command:
        return None
    name = canonical_op(dict(command), op.get("op") if isinstance(op.get("op"), str) else None)
    origin = op.get("originatingCommand")
    source = origin if name == "getMore" and isinstance(origin, Mapping) else command
    text = f"{name} {shape_json(shape_of(name, dict(source)))}"
    return text if len(text) <= MAX_COMMAND else text[: MAX_COMMAND - 1] + "…"


def _row(op: Any, index: int, threshold: float) -> dict[str, Any]:
    """One operation as a table row with its flags."""
    if not isinstance(op, Mapping):
        raise InputError(f"currentOp: operation {index} is a {type(op).__name__}, not a document")
    micros = _number(op.get("microsecs_running"))
    secs = micros / 1e6 if micros is not None else _number(op.get("secs_running"))
    plan = op.get("planSummary") if isinstance(op.get("planSummary"), str) else None
    waits, wait_micros = _lock_wait(op.get("lockStats"))
    client = _text(op.get("client")) or _text(op.get("client_s"))
    active = op.get("active")
    row = {
        "opid": _opid(op.get("opid")),
        "type": _text(op.get("type")),
        "op": _text(op.get("op")),
        "ns": _text(op.get("ns")),
        "secs_running": round(secs, 3) if secs is not None else None,
        "active": active if isinstance(active, bool) else None,
        "planSummary": plan,
        "client": client,
        "client_ip": _client_ip(client),
        "appName": _text(op.get("appName")),
        "desc": _text(op.get("desc")),
        "numYields": _number(op.get("numYields")),
        "waitingForLock": op.get("waitingForLock") is True,
        "lock_waits": waits,
        "lock_wait_micros": wait_micros,
        "msg": _text(op.get("msg")),
        "command": _command_shape(op),
    }
    row["long_running"] = (
        secs is not None
        and secs >= threshold
        and op.get("active") is not False
        and op.get("op") != "none"  # an internal thread (checkpointer, replication)
    )
    row["collscan"] = plan is not None and plan.startswith("COLLSCAN")
    row["lock_wait"] = row["waitingForLock"] or waits > 0
    if row["opid"] is not None:
        row["kill_command"] = f"db.killOp({orjson.dumps(row['opid']).decode()})"
    return row


def _group(rows: list[dict[str, Any]], column: str, default: str) -> list[dict[str, Any]]:
    """Ops per value of one column: counts of each problem and running time."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row[column] or default
        g = groups.setdefault(
            key,
            {"key": key, "ops": 0, "long_running": 0, "lock_wait": 0, "collscan": 0,
             "total_secs_running": 0.0, "max_secs_running": None},
        )  # fmt: skip
        g["ops"] += 1
        for flag in ("long_running", "lock_wait", "collscan"):
            g[flag] += row[flag]
        secs = row["secs_running"]
        if secs is not None:
            g["total_secs_running"] = round(g["total_secs_running"] + secs, 3)
            g["max_secs_running"] = max(g["max_secs_running"] or 0.0, secs)
    ranked = sorted(groups.values(), key=lambda g: (-g["total_secs_running"], -g["ops"], g["key"]))
    return ranked[:MAX_GROUPS]


def threshold_of(raw: str | None) -> float:
    """The long-running threshold from a raw request value (the default when empty)."""
    from loglake.analytics.params import parse_value

    text = (raw or "").strip()
    return float(parse_value(LONG_RUNNING, text)) if text else LONG_RUNNING_SECS


def analyze_current_op(doc: Any, long_running_secs: float = LONG_RUNNING_SECS) -> dict[str, Any]:
    """Long-running ops, lock waits and collection scans of currentOp output, with groupings."""
    if not math.isfinite(long_running_secs) or long_running_secs < 0:
        raise InputError("currentOp: the long-running threshold must be a number of seconds >= 0")
    if isinstance(doc, str):
        doc = parse_text(doc)
    try:
        ops = _operations(_plain(doc))
    except RecursionError:
        raise InputError("currentOp: the document is nested too deeply") from None
    if len(ops) > MAX_OPS:
        raise InputError(f"currentOp: {len(ops):,} operations; at most {MAX_OPS:,} are analyzed")
    rows = [_row(op, i, long_running_secs) for i, op in enumerate(ops)]
    rows.sort(key=lambda r: -(r["secs_running"] or -1.0))
    running = [r["secs_running"] for r in rows if r["secs_running"] is not None]
    return {
        "long_running_secs": long_running_secs,
        "totals": {
            "ops": len(rows),
            "active": sum(r["active"] is True for r in rows),
            "long_running": sum(r["long_running"] for r in rows),
            "lock_wait": sum(r["lock_wait"] for r in rows),
            "waiting_for_lock": sum(r["waitingForLock"] for r in rows),
            "collscan": sum(r["collscan"] for r in rows),
            "max_secs_running": max(running, default=None),
            "clients": len({r["client_ip"] for r in rows if r["client_ip"]}),
            "apps": len({r["appName"] for r in rows if r["appName"]}),
            "namespaces": len({r["ns"] for r in rows if r["ns"]}),
        },
        "long_running": [r for r in rows if r["long_running"]],
        "lock_waits": [r for r in rows if r["lock_wait"]],
        "collscans": [r for r in rows if r["collscan"]],
        "by_client": _group(rows, "client_ip", "(internal)"),
        "by_app": _group(rows, "appName", "(no app name)"),
        "by_namespace": _group(rows, "ns", "(no namespace)"),
        "ops": rows,
    }
