"""Matching lines in raw bytes: RE2 programs for a keyword or pattern, and scans of files.

RE2 searches large blocks of lines at once, in time linear in the input whatever the
pattern; where a case-sensitive keyword is found close together, `find` takes over. Scans
that find little run on threads (RE2 frees the GIL). Nothing here knows about DuckDB or the
dataset: `search.py` decides what to scan and what the hits mean.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from re2 import Options, _re2  # _re2.RE2: Match() with no per-call wrapper objects

from loglake.errors import InputError

PIECE_BYTES = 64 * 1024 * 1024  # plain files are scanned in pieces of about this size
GZ_BLOCK_BYTES = 16 * 1024 * 1024
SPARSE_HITS = 4096  # fewer hits in the first piece: scan the others on threads
NEAR_BYTES = 4096  # a keyword found this close to where the search started: `find` next

_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_SPACE = frozenset(b" \t\n\r\x0b\x0c")  # what bytes.strip() removes: a blank line has only these
# escapes and class names, which say nothing about the case of the text looked for
_NOT_LITERAL = re.compile(r"\\(?:[pP]\{[^}]*\}|[pP]?.)|\[:\^?[a-z]+:\]", re.DOTALL)


@dataclass(frozen=True)
class Matcher:
    """How lines are tested: an RE2 program, and for a case-sensitive keyword its bytes."""

    program: Any
    literal: bytes | None = None  # where matches are close together, `find` costs less
    anchored_end: bool = False  # uses `$`: lines ending in CR must be matched one by one


def case_sensitive(q: str, regex: bool, case: str) -> bool:
    """Whether matching respects case; smart case does when q has an upper-case letter."""
    if case != "smart":
        return case == "sensitive"
    text = _NOT_LITERAL.sub("", q) if regex else q
    return any(c.isupper() for c in text)


def compile_query(q: str, regex: bool, sensitive: bool) -> Matcher:
    """A Matcher for q; an invalid or too large regular expression is an InputError."""
    sensitive = sensitive or (not regex and q.lower() == q.upper())  # no letter has a case
    options = Options()
    options.never_nl = True  # no match spans two lines of a block
    options.never_capture = True
    options.log_errors = False
    options.case_sensitive = sensitive
    # ^ and $ are line anchors: blocks of many lines are searched at once. A keyword is
    # quoted rather than compiled with the `literal` option, which matches slower.
    pattern = b"(?m)" + q.encode() if regex else _re2.RE2.QuoteMeta(q.encode())
    program = _re2.RE2(pattern, options)
    if not program.ok():
        reason = program.error().decode(errors="replace")
        raise InputError(f"q: not a valid RE2 regular expression: {reason}")
    if regex:
        return Matcher(program, None, "$" in q)
    return Matcher(program, q.encode() if sensitive else None)


def _line_matches(program: Any, line: bytes) -> bool:
    return bool(program.Match(_UNANCHORED, line, 0, len(line))[0][0] >= 0)


def _line_end(buf: Any, pos: int, limit: int) -> int:
    """pos if a line starts there, else just after the line holding pos (at most limit)."""
    if pos >= limit or (pos > 0 and buf[pos - 1] == 10):
        return min(pos, limit)
    end = buf.find(b"\n", pos, limit)
    return limit if end < 0 else end + 1


Lines = tuple[list[int], list[int]]  # offsets and lengths of matching lines


def _scan_lines(buf: Any, lo: int, hi: int, program: Any, budget: int) -> Lines:
    """Line by line, for `$` patterns over CRLF lines (the CR is not part of a line)."""
    offsets: list[int] = []
    lengths: list[int] = []
    pos = lo
    while pos < hi and len(offsets) < budget:
        end = buf.find(b"\n", pos, hi)
        end = hi if end < 0 else end
        line = buf[pos:end].removesuffix(b"\r")
        if line.strip() and _line_matches(program, line):
            offsets.append(pos)
            lengths.append(len(line))
        pos = end + 1
    return offsets, lengths


def scan(buf: Any, lo: int, hi: int, matcher: Matcher, budget: int) -> Lines:
    """The first `budget` matching lines of buf[lo:hi] (lo and hi are line boundaries)."""
    if matcher.anchored_end and buf.find(b"\r\n", lo, hi) >= 0:
        return _scan_lines(buf, lo, hi, matcher.program, budget)
    with memoryview(buf) as view:  # RE2 takes a memoryview faster than an mmap
        return _scan_blocks(buf, view, lo, hi, matcher, budget)


def _scan_blocks(buf: Any, view: Any, lo: int, hi: int, matcher: Matcher, budget: int) -> Lines:
    """`scan` over many lines at once: each match is mapped to the line that holds it."""
    program, literal = matcher.program, matcher.literal
    offsets: list[int] = []
    lengths: list[int] = []
    find, rfind = buf.find, buf.rfind
    size = len(literal) if literal is not None else 0
    never_blank = bool(literal and literal.strip())  # a blank line cannot hold it
    pos, count, near = lo, 0, False
    while pos < hi and count < budget:
        if near:
            start = find(literal, pos, hi)
            if start < 0:
                break
            stop = start + size
        else:
            start, stop = program.Match(_UNANCHORED, view, pos, hi)[0]
            if start < 0:
                break
        near = literal is not None and start - pos < NEAR_BYTES
        first = rfind(b"\n", lo, start) + 1 or lo
        end = find(b"\n", stop, hi)
        end = hi if end < 0 else end
        pos = end + 1
        length = end - first
        if length and buf[end - 1] == 13:  # CRLF: the CR is not part of the line
            length -= 1
            if stop > first + length and not _line_matches(program, buf[first : first + length]):
                continue
        if not never_blank and (
            length == 0 or (buf[first] in _SPACE and not buf[first : first + length].strip())
        ):
            continue
        offsets.append(first)
        lengths.append(length)
        count += 1
    return offsets, lengths


def _scan_gz(handle: Any, lo: int, hi: int | None, matcher: Matcher, budget: int) -> Lines:
    """`scan` over a decompressed stream, a block of complete lines at a time."""
    handle.seek(lo)
    offsets: list[int] = []
    lengths: list[int] = []
    base, tail = lo, b""
    while len(offsets) < budget and (hi is None or base < hi):
        chunk = handle.read(GZ_BLOCK_BYTES)
        data = tail + chunk
        if not data:
            break
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        if cut == 0:
            tail = data
            continue
        block, tail = data[:cut], data[cut:]
        stop = len(block) if hi is None else _line_end(block, hi - base, len(block))
        found, found_lengths = scan(block, 0, stop, matcher, budget - len(offsets))
        offsets.extend(base + offset for offset in found)
        lengths.extend(found_lengths)
        base += len(block)
        if not chunk:
            break
    return offsets, lengths


def _tasks(
    handles: list[Any], ranges: list[tuple[int, int | None]], matcher: Matcher, budget: int
) -> Iterator[tuple[int, Callable[[], Lines]]]:
    """(file index, scan of one piece), in file and offset order."""
    for index, (handle, (lo, hi)) in enumerate(zip(handles, ranges, strict=True)):
        if not isinstance(handle, mmap.mmap):
            yield index, partial(_scan_gz, handle, lo, hi, matcher, budget)
            continue
        limit = len(handle) if hi is None else _line_end(handle, hi, len(handle))
        start = lo
        while start < limit:
            cut = limit
            if limit - start > PIECE_BYTES:
                cut = _line_end(handle, start + PIECE_BYTES, limit)
            yield index, partial(scan, handle, start, cut, matcher, budget)
            start = cut


def _results(tasks: list[tuple[int, Callable[[], Lines]]]) -> Generator[Lines, None, None]:
    """Each task's result in order: the first alone, the rest on threads if it found few."""
    if not tasks:
        return
    first = tasks[0][1]()
    yield first
    # RE2 releases the GIL while it searches, but between close matches Python runs: then
    # threads would only queue for the GIL
    workers = min(os.cpu_count() or 1, len(tasks) - 1)
    if workers < 2 or len(first[0]) > SPARSE_HITS:
        yield from (run() for _, run in tasks[1:])
        return
    pool = ThreadPoolExecutor(workers)
    try:
        yield from pool.map(lambda task: task[1](), tasks[1:])
    finally:
        pool.shutdown(cancel_futures=True)


def scan_files(
    handles: list[Any], ranges: list[tuple[int, int | None]], matcher: Matcher, budget: int
) -> tuple[np.ndarray, ...]:
    """File index, offset and length of the first `budget` matching lines of the files."""
    tasks = list(_tasks(handles, ranges, matcher, budget))
    index: list[int] = []
    offsets: list[int] = []
    lengths: list[int] = []
    with contextlib.closing(_results(tasks)) as results:
        for (file_index, _), (found, found_lengths) in zip(tasks, results, strict=False):
            take = budget - len(offsets)
            index += [file_index] * min(take, len(found))
            offsets += found[:take]
            lengths += found_lengths[:take]
            if len(offsets) >= budget:
                break
    return np.array(index, np.int32), np.array(offsets, np.int64), np.array(lengths, np.int64)
