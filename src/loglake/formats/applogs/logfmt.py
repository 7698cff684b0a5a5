"""logfmt lines (`logfmt`): `time=2026-11-30T10:00:00Z level=info msg="user signed in" uid=42`.

A line's pairs become a record read exactly as a JSON one is (`jsonl.RecordParser`), so the
same common field names fill the columns and `--map` works the same; values are text (a
number in text still fills a numeric column). A bare word is a key with no value (`true`).
"""

from __future__ import annotations

import re

from loglake.formats.applogs import GENERIC_MAX
from loglake.formats.applogs.jsonl import RecordParser, describer, looks_like_a_record
from loglake.formats.base import (
    BadLine,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    classify_garbage,
)

_PAIR = re.compile(r'([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?(?=\s|$)')
_ESCAPES = re.compile(r"\\(.)")
_MIN_PAIRS = 2


def pairs(line: str) -> dict[str, object] | None:
    """A logfmt line's pairs, or None when the line is not logfmt (text between pairs, or
    fewer than two `key=value` pairs)."""
    record: dict[str, object] = {}
    valued = 0
    pos = 0
    text = line.strip()
    for m in _PAIR.finditer(text):
        if text[pos : m.start()].strip():
            return None
        key, value = m.group(1), m.group(2)
        if value is None:
            record[key] = True
        else:
            valued += 1
            if value.startswith('"'):
                value = _ESCAPES.sub(r"\1", value[1:-1])
            record[key] = value
        pos = m.end()
    if text[pos:].strip() or valued < _MIN_PAIRS:
        return None
    return record


def _line_pairs(line: bytes) -> dict[str, object] | None:
    try:
        return pairs(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def sniff(lines: list[bytes]) -> float:
    """Share of lines that are logfmt with a time, level or message key (at most GENERIC_MAX)."""
    if not lines:
        return 0.0
    hits = 0
    for line in lines:
        record = _line_pairs(line)
        hits += record is not None and looks_like_a_record(record)
    return GENERIC_MAX * hits / len(lines)


def make_parser(ctx: FileContext) -> LineParser:
    """A parser for one logfmt file."""
    records = RecordParser(ctx)

    def parse(line: bytes) -> Parsed | BadLine:
        record = _line_pairs(line)
        if record is None:
            return BadLine(classify_garbage(line))
        return records.parse(record)

    return parse


SPEC = FormatSpec(
    name="logfmt",
    priority=Priority.GENERIC,
    sniff=sniff,
    make_parser=make_parser,
    describe=describer(lambda head: [r for r in map(_line_pairs, head[:200]) if r is not None]),
)
