"""The contract every log format module fulfils.

A format module (one per format, e.g. `formats/mongodb.py`) defines:

- `NAME`: the format's name (a `LogFormat` value).
- `SPLITTABLE`: whether a file may be cut into byte ranges parsed independently
  (False when a line's meaning depends on earlier lines, e.g. ctime dates without a year),
  or instead `splittable(head_lines) -> bool` to judge per file; optionally `WARMUP_BYTES`,
  how much of the input before a range its parser reads (and discards) to learn state.
- `sniff(lines: list[bytes]) -> float`: confidence 0..1 that these first non-blank lines
  are of this format.
- `make_parser(ctx: FileContext) -> LineParser`: a callable turning one line (bytes, no
  line ending) into a `Parsed` or a `BadLine`. It must never raise.

Rows are plain dicts keyed by the column names of `schema.py`; `ts` is microseconds since
the Unix epoch (UTC). The ingest layer adds the offset columns (`file_id`, `file_offset`,
`line_length`) and `host`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from loglake.schema import Stream

Row = dict[str, Any]


class LogFormat(StrEnum):
    """The formats loglake reads."""

    MONGODB = "mongodb"
    MONGODB_LEGACY = "mongodb-legacy"


class BadReason(StrEnum):
    """Why a non-blank line is not a record of its file's format."""

    INVALID_JSON = "invalid_json"  # starts like JSON but does not parse (truncated, garbage)
    NOT_A_RECORD = "not_a_record"  # valid JSON, but not an object with a "t" timestamp
    BAD_TIMESTAMP = "bad_timestamp"  # the timestamp is present but unreadable
    NOT_UTF8 = "not_utf8"  # bytes that are not UTF-8 text
    BINARY = "binary"  # NUL bytes or other control characters
    OTHER_FORMAT = "other_format"  # text, but not a line of this file's format
    TOO_LONG = "too_long"  # longer than the configured maximum line length


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a parser may know about the file a line comes from."""

    file_id: str
    path: str
    year_hint: int = 1970  # year of the first line, for formats whose dates carry no year


@dataclass(slots=True)
class Parsed:
    """A parsed line: its `events` row and, for some lines, one row of another stream."""

    event: Row
    stream: Stream | None = None
    row: Row | None = None


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a record of the file's format."""

    reason: BadReason


LineParser = Callable[[bytes], "Parsed | BadLine"]

_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


def classify_garbage(line: bytes) -> BadReason:
    """Name the reason a line that failed to parse is bad, from its bytes alone."""
    if b"\x00" in line or line.translate(None, _CONTROL) != line:
        return BadReason.BINARY
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return BadReason.NOT_UTF8
    return BadReason.OTHER_FORMAT
