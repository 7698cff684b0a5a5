"""Tolerant readers for the text of pre-4.4 mongod log messages: shell-syntax documents and
the `name:value` fields of slow operations.

`BSONObj::toString()` writes `{ find: "c", filter: { a: { $gt: new Date(1554076800000) } } }`:
unquoted (dotted, `$`-prefixed) keys, double- or single-quoted strings, constructor calls
(`ObjectId('…')`, `NumberLong(5)`, `UUID("…")`, `BinData(0, …)`, `Timestamp(1554, 1)`), the
2.x `Timestamp 1554076800000|1`, `/regex/flags`, `MinKey`, bare words, and `{ ... }` where
mongod left part of a document out. Typed values become extended-JSON-like dicts
(`{"$oid": …}`, `{"$date": …}`, a regex `{"$regex": pattern}`), as in 4.4+ JSON logs, so a
shape can tell a literal from a sub-document.

The reader never raises: on text it cannot read it stops and returns what it had, with
every open document and array closed, and says the result is incomplete.
"""

from __future__ import annotations

import re
from typing import Any

_STRING = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_END = r"(?=\s*+(?:[,}\]]|$))"
# In a document, where a key is due: the end, a comma, an elision or `key:`.
_KEY_TOKEN = re.compile(
    r"\s*+(?:(?P<end>\})|(?P<comma>,)|(?P<ellipsis>\.\.\.)"
    r"|(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s:,{}\[\]\"']*))"
    r"\s*:\s*)"
)
# Where a value is due: a container, the end of an array, a comma, an elision or a scalar.
_VALUE_TOKEN = re.compile(
    r"\s*+(?:(?P<doc>\{)|(?P<array>\[)|(?P<array_end>\])|(?P<comma>,)|(?P<ellipsis>\.\.\.)"
    r"|\"(?P<dq>(?:[^\"\\]|\\.)*)\""
    r"|'(?P<sq>(?:[^'\\]|\\.)*)'"
    rf"|(?P<num>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?){_END}"
    rf"|Timestamp (?P<ts_t>\d+)\|(?P<ts_i>\d+){_END}"
    r"|(?:new )?(?P<call>[A-Za-z_][A-Za-z0-9_]*)"
    rf"\((?P<args>(?:[^()\"']|{_STRING})*)\)"
    rf"|/(?P<re>(?:[^/\\\n]|\\.)*)/(?P<re_flags>[a-z]*){_END}"
    r"|(?P<word>[^\s,{}\[\]]++(?:\s++[^\s,{}\[\]]++)*+))"
)
_ESCAPE = re.compile(r"\\(.)")
_SPECIAL = re.compile(r'[{}\[\]"\\]')
_WORDS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": {"$undefined": True},
    "MinKey": {"$minKey": 1},
    "MaxKey": {"$maxKey": 1},
    "inf": float("inf"),
    "-inf": float("-inf"),
    "nan": float("nan"),
}
_MAX_DEPTH = 200
# A slow operation's documents, after its namespace: `appName: "…"`, `query: { … }`,
# `command: find { … }`, `update: { … }`, `originatingCommand: { … }`.
_DOC_FIELD = re.compile(
    r" *(?:appName: \"(?P<app>(?:[^\"\\]|\\.)*)\""
    r"|(?P<key>query|command|update|originatingCommand): (?:(?P<name>[A-Za-z_$][\w$.]*) )?(?=\{))"
)
# `name:value` fields: no space after the colon, unlike keys inside documents (but 2.2 wrote
# `numYields: 12`); the value runs to the next space.
_FIELD = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*):(?!\s)(\S+)|(?<![\w$.])numYields: (\d+)")
_STAGE = re.compile(r"[A-Z][A-Z_]*")
_STORAGE = re.compile(r"(bytesRead|timeReadingMicros): (\d+)")


def unquote(text: str) -> str:
    """A quoted string's text with its backslash escapes resolved."""
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def _split_args(args: str) -> list[str]:
    return [a.strip().strip("\"'") for a in args.split(",")] if args.strip() else []


def _int_arg(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _call(name: str, args: str) -> Any:
    """The value of a constructor call such as `ObjectId('…')` or `NumberLong(5)`."""
    parts = _split_args(args)
    first = parts[0] if parts else ""
    if name in ("NumberLong", "NumberInt"):
        return _int_arg(first)
    if name == "ObjectId":
        return {"$oid": first}
    if name in ("Date", "ISODate"):
        return {"$date": _int_arg(first)}
    if name == "Timestamp" and len(parts) == 2:
        return {"$timestamp": {"t": _int_arg(parts[0]), "i": _int_arg(parts[1])}}
    if name == "BinData" and len(parts) == 2:
        return {"$binary": {"base64": parts[1], "subType": parts[0]}}
    if name == "UUID":
        return {"$uuid": first}
    if name == "NumberDecimal":
        return {"$numberDecimal": first}
    return {"$" + name: args.strip()}


def _scalar(m: re.Match[str], kind: str | None) -> Any:
    if kind == "num":
        text = m["num"]
        if "." in text or "e" in text or "E" in text:
            return float(text)
        return int(text)
    if kind == "dq":
        return unquote(m["dq"])
    if kind == "sq":
        return unquote(m["sq"])
    if kind == "ts_i":
        return {"$timestamp": {"t": int(m["ts_t"]), "i": int(m["ts_i"])}}
    if kind == "args":
        return _call(m["call"], m["args"])
    if kind == "re_flags":
        if m["re_flags"]:
            return {"$regex": m["re"], "$options": m["re_flags"]}
        return {"$regex": m["re"]}
    word = m["word"].strip()
    return _WORDS.get(word, word)


def parse_document(text: str, pos: int = 0) -> tuple[Any, int, bool]:
    """Read the value starting at `text[pos]` (usually `{`): (value, end, complete).

    On text it cannot read, returns what was read so far (open containers closed), the
    position where reading stopped, and complete=False; a `...` elision also makes the
    result incomplete. Never raises.
    """
    root: list[Any] = []
    # Containers being filled, innermost last; a value is stored before it is filled,
    # so stopping anywhere leaves a well-formed partial result.
    stack: list[Any] = [root]
    key: str | None = None
    complete = True
    match_key, match_value = _KEY_TOKEN.match, _VALUE_TOKEN.match
    try:
        while True:
            top = stack[-1]
            if key is None and type(top) is dict:
                m = match_key(text, pos)
                if m is None:
                    complete = False
                    break
                pos, kind = m.end(), m.lastgroup
                if kind == "end":
                    stack.pop()
                    if len(stack) == 1:
                        break
                elif kind == "ellipsis":
                    complete = False
                elif kind != "comma":
                    key = m["bare"] if kind == "bare" else unquote(m[kind])  # type: ignore[index]
                continue
            m = match_value(text, pos)
            if m is None or m.end() == pos:
                complete = False
                break
            pos, kind = m.end(), m.lastgroup
            if kind in {"doc", "array"}:
                value: Any = {} if kind == "doc" else []
            elif kind in {"array_end", "comma"}:
                if type(top) is not list:
                    complete = False
                    break
                if kind == "array_end":
                    stack.pop()
                    if len(stack) == 1:
                        break
                continue
            elif kind == "ellipsis":
                complete, key = False, None
                continue
            else:
                value = _scalar(m, kind)
            if type(top) is dict:
                top[key] = value
                key = None
            else:
                top.append(value)
            if kind in {"doc", "array"}:
                stack.append(value)
                if len(stack) > _MAX_DEPTH:
                    complete = False
                    break
            elif len(stack) == 1:
                break
    except (ValueError, IndexError, RecursionError):
        complete = False
    return (root[0] if root else {}), pos, complete and len(stack) == 1


def skip_document(text: str, pos: int) -> int:
    """The position just after the balanced `{…}` or `[…]` at `text[pos]` (quotes respected).

    Cheaper than `parse_document` for documents whose contents are not needed (locks). On
    unbalanced text returns len(text).
    """
    depth = 0
    in_string = False
    escaped_at = -1
    for m in _SPECIAL.finditer(text, pos):
        ch = m[0]
        if in_string:
            if ch == "\\" and escaped_at != m.start():
                escaped_at = m.start() + 1
            elif ch == '"' and escaped_at != m.start():
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth <= 0:
                return m.end()
    return len(text)


def read_fields(msg: str, pos: int, end: int) -> tuple[dict[str, Any], bool]:
    """The fields of a slow operation in `msg[pos:end]`, and whether its documents are whole.

    The documents after the namespace are parsed (a command name before one is kept as
    `<key>.name`); the `name:value` fields after them are kept as text, `planSummary` as
    its text (`IXSCAN { a: 1 }, …`), `storage` as its (name, value) byte/time counters and
    `exception` as True when the operation failed with one.
    """
    fields: dict[str, Any] = {}
    complete = True
    tail = pos  # where the name:value fields start: after the last document read whole
    while m := _DOC_FIELD.match(msg, pos, end):
        pos = m.end()
        if m["app"] is not None:
            fields["appName"], tail = unquote(m["app"]), pos
            continue
        if m["name"]:
            fields[m["key"] + ".name"] = m["name"]
        fields[m["key"]], pos, ok = parse_document(msg, pos)
        if not ok:
            complete = False
            break
        tail = pos
    for name, value, yields in _FIELD.findall(msg, tail, end):
        fields[name or "numYields"] = value or yields
    start = msg.find(" planSummary: ", tail, end) + 14
    if start > 13:
        pos = start
        while stage := _STAGE.match(msg, pos, end):
            pos = stage.end()
            if msg.startswith(" {", pos):
                pos = skip_document(msg, pos + 1)
            if not (msg.startswith(", ", pos) and _STAGE.match(msg, pos + 2, end)):
                break
            pos += 2
        fields["planSummary"] = msg[start:pos]
    start = msg.find(" storage:{", tail, end)
    if start >= 0:
        fields["storage"] = _STORAGE.findall(msg, start, skip_document(msg, start + 9))
    fields["exception"] = msg.find(" exception: ", tail, end) >= 0
    return fields, complete
