"""Record framing: how the bytes of a range group into records.

Every framer keeps the contract of `files.lines_in_range`: it yields
`(file_offset, record, record_length)` for every record that *starts* in `[start, end)`,
`record` being the record's bytes exactly as in the source (inner line endings kept,
the final one dropped) or None when it is longer than `max_record`. So a record's offset
and length read back the whole record, however many lines it spans, and byte ranges cut
anywhere cover every record exactly once: a record may run past the end of the range it
starts in, and the next range skips it (its *resync rule*).

- LINE: one line is one record.
- CONTINUATION: a record is a line the format says starts one, plus the lines after it
  that do not (PostgreSQL continuation lines, Java stack traces). Resync: skip to the
  first line that starts a record.
- CSV: a record ends at a line ending outside double quotes, so a quoted field may hold
  newlines (PostgreSQL csvlog). A line the format says starts a record always starts one,
  even inside quotes: only a rule that needs nothing before the line lets ranges agree.
  Resync: as CONTINUATION; without such a predicate a CSV file cannot be cut.
- JSON_ARRAY: the file is one JSON array and each element is a record; a truncated array
  keeps its complete elements and the rest is one record (a bad one, for the parser to
  classify). An element boundary cannot be found from the middle of a file: no resync.

A line too long to keep (longer than `max_record`) makes its record too long.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import BinaryIO

import orjson

from loglake.sources import files
from loglake.sources.files import lines_in_range

Records = Iterator[tuple[int, bytes | None, int]]
RecordStart = Callable[[bytes], bool]


class Framing(StrEnum):
    """How a format's records are laid out in its files."""

    LINE = "line"
    CONTINUATION = "continuation"
    CSV = "csv"
    JSON_ARRAY = "json_array"


def can_resync(framing: Framing, record_start: RecordStart | None) -> bool:
    """Whether a range that starts mid-record can find the next record on its own."""
    if framing is Framing.LINE:
        return True
    if framing is Framing.JSON_ARRAY:
        return False
    return record_start is not None


def records_in_range(
    stream: BinaryIO,
    start: int,
    end: int | None,
    max_record: int,
    framing: Framing = Framing.LINE,
    record_start: RecordStart | None = None,
    on_block: Callable[[int], None] | None = None,
    resync: bool = True,
) -> Records:
    """Yield (offset, record, length) for every record starting in [start, end).

    Positioning is the caller's, as for `lines_in_range`. With `resync` a `start` > 0 may
    fall inside a record (a range cut), which the previous range reads; without, `start`
    is known to begin a record (where a previous ingest of a grown file ended).
    """
    if framing is Framing.LINE:
        return lines_in_range(stream, start, end, max_record, on_block)
    if framing is Framing.JSON_ARRAY:
        return _array_elements(stream, start, end, max_record, on_block)
    if framing is Framing.CONTINUATION and record_start is None:
        raise ValueError("CONTINUATION framing needs a record_start predicate")
    lines = lines_in_range(stream, start, None, max_record, on_block)
    syncing = resync and start > 0 and record_start is not None
    return _grouped(lines, end, max_record, record_start, syncing, framing is Framing.CSV)


class _Record:
    """The record being assembled: its lines with their separators, while it fits."""

    __slots__ = ("end", "first", "offset", "parts")

    def __init__(self, offset: int, line: bytes | None, length: int) -> None:
        self.offset = offset
        self.end = offset + length
        self.first = line  # most records are one line: no list, no join
        self.parts: list[bytes] | None = None

    def add(self, offset: int, line: bytes | None, length: int, max_record: int) -> None:
        if self.parts is None and self.first is not None:
            self.parts = [self.first]
        if self.parts is not None:
            if line is None or offset + length - self.offset > max_record:
                self.parts = self.first = None
            else:  # the separator is what lies between the lines: 2 bytes are a CRLF
                self.parts.append(b"\r\n" if offset - self.end == 2 else b"\n")
                self.parts.append(line)
        self.end = offset + length

    def done(self) -> tuple[int, bytes | None, int]:
        data = self.first if self.parts is None else b"".join(self.parts)
        return self.offset, data, self.end - self.offset


def _grouped(
    lines: Records,
    end: int | None,
    max_record: int,
    record_start: RecordStart | None,
    syncing: bool,
    csv: bool,
) -> Records:
    """Lines grouped into CONTINUATION or CSV records (see the module docstring).

    A range stops at the first line at or past its end that starts a record by the
    predicate, the same line the next range resyncs on; without a predicate (a CSV file
    read whole), at any record boundary past the end.
    """
    record: _Record | None = None
    quoted = False  # CSV: the record so far holds an odd number of double quotes
    for offset, line, length in lines:
        starts = line is not None and record_start is not None and record_start(line)
        if syncing:
            if not starts:
                continue
            syncing = False
        if record is not None and (starts or (csv and not quoted)):
            yield record.done()
            record = None
        if record is None:
            if end is not None and offset >= end and (starts or record_start is None):
                return
            record, quoted = _Record(offset, line, length), False
        else:
            record.add(offset, line, length, max_record)
        if csv:  # an over-long line's quotes are unknown: take it as closing its record
            quoted = line is not None and quoted != (line.count(b'"') % 2 == 1)
    if record is not None:
        yield record.done()


_NON_SPACE = re.compile(rb"[^ \t\r\n]")
_IN_STRING = re.compile(rb'["\\]')
_NESTED = re.compile(rb'["{}\[\]]')
_TOP = re.compile(rb'["{}\[\],\s]')
# a `}` that may close an array element: followed by a comma and the next element, or `]`
_OBJECT_END = re.compile(rb"\}(?=\s*(?:,\s*[{\[\]]|\]))")
_FAST_TRIES = 8  # candidate ends tried before the byte-by-byte scanner takes the element
# where the scanner is: before the array, before an element, in one, after one, after the
# array, or in the rest of a file that is not (or no longer) a well-formed array
_BEFORE, _ELEMENT_NEXT, _IN_ELEMENT, _SEPARATOR_NEXT, _AFTER, _REST = range(6)
_MOVES = {  # (state, punctuation) -> next state; any other byte opens an element (or junk)
    (_BEFORE, b"["): _ELEMENT_NEXT,
    (_SEPARATOR_NEXT, b","): _ELEMENT_NEXT,
    (_ELEMENT_NEXT, b"]"): _AFTER,  # [] or a trailing comma
    (_SEPARATOR_NEXT, b"]"): _AFTER,
}


class _ArrayScanner:
    """Finds the elements of a JSON array in chunks of bytes (strings and nesting tracked)."""

    def __init__(self, base: int, max_record: int) -> None:
        self.state = _BEFORE
        self.pos = base  # absolute offset of the chunk being scanned
        self.max_record = max_record
        self.begin = 0  # absolute offset of the current element
        self.parts: list[bytes] | None = []
        self.kept = 0
        self.depth = 0
        self.in_string = False
        self.escaped = False  # a backslash ended the previous chunk inside a string

    def feed(self, data: bytes) -> list[tuple[int, bytes | None, int]]:
        """The elements that end in this chunk."""
        out: list[tuple[int, bytes | None, int]] = []
        i, n = 0, len(data)
        seg = 0  # where the current element's bytes start in this chunk
        while i < n:
            if self.state == _IN_ELEMENT:
                i, ended = self._scan(data, i)
                if ended:
                    out.append(self._close(data, seg, i))
                continue
            if self.state == _REST:
                break
            m = _NON_SPACE.search(data, i)
            if m is None:
                break
            i = m.start()
            char = data[i : i + 1]
            move = _MOVES.get((self.state, char))
            if move is None:
                self._open(i, char)
                seg = i
                end = self._object_end(data, i) if self.state == _IN_ELEMENT else None
                if end is not None:  # the fast path: the whole object lies in this chunk
                    size = end - i
                    record = data[i:end] if size <= self.max_record else None
                    out.append((self.begin, record, size))
                    self.state, i = _SEPARATOR_NEXT, end
                continue
            self.state = move
            i += 1
        if self.state in (_IN_ELEMENT, _REST):
            self._keep(data[seg:])
        self.pos += n
        return out

    @staticmethod
    def _object_end(data: bytes, i: int) -> int | None:
        """Where the object starting at data[i] ends, when it ends in this chunk before the
        next element or the array's end (found by a candidate `}` whose prefix parses as
        JSON: a proper prefix of an object never does); None sends it to the scanner."""
        if data[i] != 0x7B:  # only objects: `{`
            return None
        for _tries, m in zip(range(_FAST_TRIES), _OBJECT_END.finditer(data, i + 1), strict=False):
            end = m.start() + 1
            try:
                orjson.loads(data[i:end])
            except orjson.JSONDecodeError:
                continue
            return end
        return None

    def finish(self) -> list[tuple[int, bytes | None, int]]:
        """At the end of the input: an unfinished element (or junk) is one last record."""
        if self.state not in (_IN_ELEMENT, _REST):
            return []
        data = b"".join(self.parts) if self.parts is not None else None
        length = self.kept
        if data is not None:
            data = data.rstrip(b" \t\r\n")
            length = len(data)
        return [(self.begin, data, length)] if length else []

    def _open(self, i: int, char: bytes) -> None:
        """An element starts at chunk index i (anything but an element here is junk)."""
        element = self.state == _ELEMENT_NEXT and char not in b",]}"
        self.state = _IN_ELEMENT if element else _REST
        self.begin = self.pos + i
        self.parts, self.kept, self.depth = [], 0, 0
        self.in_string = self.escaped = False

    def _scan(self, data: bytes, i: int) -> tuple[int, bool]:
        """Scan the element from i: (where scanning stopped, whether the element ended)."""
        if self.in_string:
            if self.escaped:
                self.escaped, i = False, i + 1
                return i, False
            m = _IN_STRING.search(data, i)
            if m is None:
                return len(data), False
            at = m.start()
            if data[at] == 0x5C:  # a backslash: skip what it escapes
                if at + 1 == len(data):
                    self.escaped = True
                return at + 2, False
            self.in_string = False
            return at + 1, self.depth == 0
        m = (_NESTED if self.depth else _TOP).search(data, i)
        if m is None:
            return len(data), False
        at, char = m.start(), data[m.start()]
        if char == 0x22:  # a quote
            self.in_string = True
            return at + 1, False
        if char in b"{[":
            self.depth += 1
            return at + 1, False
        if char in b"}]" and self.depth:
            self.depth -= 1
            return at + 1, self.depth == 0
        return at, True  # a scalar ends at a comma, space or closing bracket

    def _close(self, data: bytes, seg: int, i: int) -> tuple[int, bytes | None, int]:
        self._keep(data[seg:i])
        self.state = _SEPARATOR_NEXT
        record = b"".join(self.parts) if self.parts is not None else None
        return self.begin, record, self.kept

    def _keep(self, chunk: bytes) -> None:
        self.kept += len(chunk)
        if self.parts is not None:
            if self.kept > self.max_record:
                self.parts = None
            else:
                self.parts.append(chunk)


def _array_elements(
    stream: BinaryIO,
    start: int,
    end: int | None,
    max_record: int,
    on_block: Callable[[int], None] | None,
) -> Records:
    """The elements of a JSON array file (JSON_ARRAY framing), read a block at a time."""
    if start > 0:
        stream.read(1)  # the caller positioned the stream one byte early
    scanner = _ArrayScanner(start, max_record)
    while True:
        chunk = stream.read(files.BLOCK_BYTES)
        if on_block is not None:
            on_block(len(chunk))
        found = scanner.feed(chunk) if chunk else scanner.finish()
        for record in found:
            if end is not None and record[0] >= end:
                return
            yield record
        if not chunk:
            return
