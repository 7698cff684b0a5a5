"""MongoDB query shapes: a command with its literal values replaced by a placeholder.

Two slow queries share a shape when they differ only in the values they look for, so
analytics can group them by `shape_hash`. Used by the JSON-log and the legacy text-log
parsers alike. This module picks the parts of a command that make its shape and names its
operation; the rules that normalize those parts are in `normalize.py`. `shape_text` uses
the optional C extension `_shape.c` where it is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from loglake.formats.mongodb.normalize import (  # noqa: F401 - re-exported
    MAX_DEPTH,
    MAX_STAGES,
    PLACEHOLDER,
    normalize_fields,
    normalize_filter,
    normalize_shape,
    shape_json,
)

_compiled: ModuleType | None
try:  # the optional C extension (setup.py); without it, the Python below does the work
    _compiled = importlib.import_module("loglake.formats.mongodb._shape")
except ImportError:  # pragma: no cover - a machine without a C compiler
    _compiled = None

_QUERY_OPS = ("find", "aggregate", "count", "distinct", "update", "delete", "insert")
_COMMANDS = dict(zip(_QUERY_OPS, _QUERY_OPS, strict=True)) | {
    "findAndModify": "findAndModify",
    "findandmodify": "findAndModify",
    "getMore": "getMore",
    "getmore": "getMore",
    "$query": "find",  # a legacy query with modifiers
}
_OP_TYPES = {  # the log's attr.type, for commands logged without their name
    "query": "find",
    "getmore": "getMore",
    "update": "update",
    "remove": "delete",
    "insert": "insert",
    "killcursors": "killCursors",
}


def canonical_op(command: dict[str, Any] | None, op_type: str | None) -> str:
    """The operation name of a slow query, from its command and the log's `attr.type`."""
    first = next(iter(command), None) if isinstance(command, dict) else None
    if isinstance(first, str) and first in _COMMANDS:
        return _COMMANDS[first]
    if isinstance(op_type, str) and op_type.lower() in _OP_TYPES:
        return _OP_TYPES[op_type.lower()]
    if isinstance(first, str) and first and not first.startswith("$"):
        return first
    return "command"


# Per op: the command fields that make its shape, and the shape field each becomes.
_PARTS = {
    "find": {f: f for f in ("filter", "sort", "projection", "limit", "skip", "hint")},
    "aggregate": {"pipeline": "pipeline", "hint": "hint"},
    "count": {"query": "query", "limit": "limit", "skip": "skip", "hint": "hint"},
    "distinct": {"key": "key", "query": "query"},
    "update": {"updates": "updates"},
    "delete": {"deletes": "deletes"},
    "findAndModify": {
        **{f: f for f in ("query", "sort", "update", "remove", "upsert", "new", "hint")},
        "fields": "projection",
    },
}
_LEGACY_FIND = {
    "$query": "filter",
    "query": "filter",
    "$orderby": "sort",
    "orderby": "sort",
    "$hint": "hint",
    "hint": "hint",
}


def _parts(op: str, command: dict[str, Any]) -> dict[str, Any]:
    """The parts of a command that make its shape, under their shape field names."""
    if op == "find" and "find" not in command and "filter" not in command:
        if "$query" not in command and not ("query" in command and "orderby" in command):
            return {"filter": command}  # a legacy log's bare query document
        parts = _LEGACY_FIND
    elif op in ("update", "delete") and "q" in command and op + "s" not in command:
        return {op + "s": [command]}  # one statement of a batch, logged on its own
    elif op == "createIndexes":
        indexes = command.get("indexes")
        if isinstance(indexes, list):
            indexes = [index.get("key") if isinstance(index, dict) else None for index in indexes]
        return {"indexes": indexes}
    else:
        parts = _PARTS.get(op, {})
    return {parts[key]: value for key, value in command.items() if key in parts}


def _shape_parts(op: str, command: dict[str, Any] | None) -> dict[str, Any]:
    """What `_fields` turns into the shape of a command (for a getMore, its origin's)."""
    if not isinstance(command, dict):
        return {}
    if op == "getMore":
        origin = canonical_op(command, None)
        return {} if origin == "getMore" else _shape_parts(origin, command)
    return _parts(op, command)


def shape_of(op: str, command: dict[str, Any] | None) -> dict[str, Any]:
    """The shape of a command; for a getMore, `command` is its originating command."""
    return normalize_fields(_shape_parts(op, command), 0)


def shape_text(op: str, command: dict[str, Any] | None) -> str:
    """`shape_json(shape_of(op, command))`, by the C extension when it is built.

    The extension writes the same text without building the shape; for anything it does
    not handle (a string with no UTF-8 form) it returns None and Python decides.
    """
    if _compiled is not None:
        text: str | None = _compiled.shape_json_of(op, command)
        if text is not None:
            return text
    return shape_json(shape_of(op, command))


def compiled() -> bool:
    """Whether query shapes are built by the C extension in this process."""
    return _compiled is not None


@contextlib.contextmanager
def pure_python() -> Iterator[None]:
    """Within the block, query shapes are built by the Python code only (parity tests)."""
    global _compiled  # noqa: PLW0603 - the one switch between the two paths
    saved, _compiled = _compiled, None
    try:
        yield
    finally:
        _compiled = saved


def shape_hash(namespace: str, op: str, shape_text: str) -> str:
    """16 hex digits identifying a (namespace, op, shape) triple."""
    data = f"{namespace}\x00{op}\x00{shape_text}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=8).hexdigest()
