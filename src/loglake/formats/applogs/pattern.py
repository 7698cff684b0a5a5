"""Text lines read with the user's regular expression (`pattern`, from `--pattern`).

The named groups say what each part is: `ts` (ISO-8601, epoch, syslog, access-log or Apache
dates), `level`, `message` (or `msg`), `source` (or `component`), `host`, `user`,
`request_id`, `context` (or `thread`), `code`, `duration_ms`, `http_method`, `http_path`,
`http_status`, `http_bytes`; any other group is kept in `attrs`. A line the expression does
not match is a bad line (`other_format`); records are single lines. The format is never
sniffed: `--pattern` (or `LOGLAKE_PATTERN`) chooses it.
"""

from __future__ import annotations

import re

from loglake.formats.applogs.text import TextParser
from loglake.formats.base import (
    BadLine,
    BadReason,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    classify_garbage,
)


def sniff(_lines: list[bytes]) -> float:
    """Never chosen by sniffing: only `--pattern` or `--format pattern` choose it."""
    return 0.0


def make_parser(ctx: FileContext) -> LineParser:
    """A parser for one file read with `ctx.pattern`."""
    regex = re.compile(ctx.pattern or r"(?P<message>.*)", re.DOTALL)
    text = TextParser(ctx)

    def parse(line: bytes) -> Parsed | BadLine:
        if b"\x00" in line:
            return BadLine(BadReason.BINARY)
        m = regex.fullmatch(line.decode("utf-8", "replace").removesuffix("\r"))
        if m is None:
            return BadLine(classify_garbage(line))
        return text.event(m.groupdict(), "any", "")

    return parse


def describe(_head: list[bytes], ctx: FileContext) -> dict[str, str]:
    """The user's expression."""
    return {"pattern": ctx.pattern} if ctx.pattern else {}


SPEC = FormatSpec(
    name="pattern",
    priority=Priority.GENERIC,
    sniff=sniff,
    make_parser=make_parser,
    describe=describe,
)
