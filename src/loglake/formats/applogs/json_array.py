"""JSON array files (`json-array`): a file that is one JSON array of log records, as batch
exporters and object-storage log sinks write them (often one file a minute, named by time).

Each element is a record (read as `jsonl` reads a line, fields found by the same names);
its offsets read back exactly that element. A truncated array keeps every complete element
and its unfinished rest is one bad record (`invalid_json`). A record without a time takes
the time in its file or folder name (`2025-04-01T18:28:18.671Z-….json`), as in `jsonl`.
"""

from __future__ import annotations

import io
from typing import Any

import orjson

from loglake.formats.applogs import GENERIC_MAX
from loglake.formats.applogs.jsonl import RecordParser, bad_json, describer
from loglake.formats.base import (
    BadLine,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
)
from loglake.sources.framing import Framing, records_in_range

_DESCRIBE_BYTES = 64 * 1024  # what `describe` reads of a file's head: its first records


def sniff(lines: list[bytes]) -> float:
    """GENERIC_MAX when the file starts as an array of objects (or an empty array), else 0."""
    text = b"\n".join(lines[:50]).lstrip()
    if not text.startswith(b"["):
        return 0.0
    rest = text[1:].lstrip()
    return GENERIC_MAX if rest[:1] in (b"{", b"]") else 0.0


def elements(data: bytes) -> list[Any]:
    """The decoded complete elements at the start of a JSON array's bytes."""
    docs = []
    for _offset, element, _length in records_in_range(
        io.BytesIO(data), 0, None, len(data) + 1, Framing.JSON_ARRAY
    ):
        if element is None:
            continue
        try:
            docs.append(orjson.loads(element))
        except orjson.JSONDecodeError:
            continue
    return docs


def make_parser(ctx: FileContext) -> LineParser:
    """A parser for the elements of one JSON array file."""
    records = RecordParser(ctx)
    loads = orjson.loads

    def parse(element: bytes) -> Parsed | BadLine:
        try:
            doc = loads(element)
        except orjson.JSONDecodeError:
            return bad_json(element)
        return records.parse(doc)

    return parse


SPEC = FormatSpec(
    name="json-array",
    priority=Priority.GENERIC,
    sniff=sniff,
    make_parser=make_parser,
    framing=Framing.JSON_ARRAY,
    describe=describer(lambda head: elements(b"\n".join(head)[:_DESCRIBE_BYTES])),
)
