"""Blocks of MongoDB JSON log lines in one C pass (the `_shape` extension's `parse_block`).

`_block.c` reads each line once with yyjson and returns the columns of all four streams
(`events`, `slow_queries` with query shapes, `authentications`, `connections`) as Arrow
buffers, so neither DuckDB's JSON functions nor Python touch the common lines. What it is
not sure of comes back as `fallback` lines for the per-line parser (json_line.py), which
decides them exactly as the other block path (json_block.py) does. Used when the extension
is built (`available()`), else json_block.py's DuckDB path; `duckdb_only()` switches it off
for parity tests (tests/test_parity_block_c.py).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pyarrow as pa

from loglake.formats.base import BadLine, BlockResult, FileContext, LineParser
from loglake.formats.mongodb import json_line, shape
from loglake.schema import Stream, arrow_schema

_WHITESPACE = b" \t\r\n\x0b\x0c"
_OFFSETS = ("host", "file_id")  # the writer adds them
_CONSTANTS = {Stream.SLOW_QUERIES: {"engine": "mongodb"}}

_compiled: ModuleType | None
try:  # the optional C extension (setup.py)
    _compiled = importlib.import_module("loglake.formats.mongodb._shape")
    if not hasattr(_compiled, "parse_block"):  # pragma: no cover - an older build
        _compiled = None
except ImportError:  # pragma: no cover - a machine without a C compiler
    _compiled = None


def available() -> bool:
    """Whether blocks are parsed by the C extension in this process (not while
    `shape.pure_python()` holds: its parity tests need every shape made by Python)."""
    return _compiled is not None and shape.compiled()


@contextlib.contextmanager
def duckdb_only() -> Iterator[None]:
    """Within the block, blocks go through json_block.py's DuckDB path (parity tests)."""
    global _compiled  # noqa: PLW0603 - the one switch between the two block paths
    saved, _compiled = _compiled, None
    try:
        yield
    finally:
        _compiled = saved


class CompiledBlockParser:
    """Parses blocks of complete lines with `_shape.parse_block`."""

    def __init__(self, ctx: FileContext, max_line: int) -> None:
        if _compiled is None:
            raise RuntimeError("the C extension is not built: use json_block.JsonBlockParser")
        self.parse_block = _compiled.parse_block
        self.max_line = max_line
        self.line_parser: LineParser = json_line.make_parser(ctx)

    def close(self) -> None:
        """Nothing to release."""

    def parse(self, block: bytes, base: int) -> BlockResult:
        """Parse `block` (complete lines; the last may lack its newline) read at `base`."""
        lines, fallback, streams = self.parse_block(block, base, self.max_line)
        result = BlockResult(lines=lines)
        for start, length in fallback:
            self._per_line(block[start : start + length], base + start, length, result)
        for name, columns in streams.items():
            if columns["ts"][0]:
                stream = Stream(name)
                result.tables[stream] = _table(stream, columns, _CONSTANTS.get(stream, {}))
        return result

    def _per_line(self, line: bytes, offset: int, length: int, result: BlockResult) -> None:
        """A line C left to Python, judged as json_block.py judges it."""
        if length > self.max_line:
            result.bad.append((offset, length, "too_long", None))
            return
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            outcome = self.line_parser(line)
            reason = outcome.reason.value if isinstance(outcome, BadLine) else "not_utf8"
            result.bad.append((offset, length, reason, line))
            return
        if not line.strip(_WHITESPACE):
            result.blank += 1
            return
        outcome = self.line_parser(line)
        if isinstance(outcome, BadLine):
            result.bad.append((offset, length, outcome.reason.value, line))
            return
        for _stream, row in outcome.rows:
            row.update(file_offset=offset, line_length=length)
        result.rows.extend(outcome.rows)


def _array(kind: pa.DataType, column: tuple[int, int, bytes, bytes, bytes | None]) -> pa.Array:
    """An Arrow array over the buffers `_columns.h` exported (no copy)."""
    length, nulls, valid, data, offsets = column
    validity = pa.py_buffer(valid) if nulls else None
    buffers = [validity, pa.py_buffer(data)]
    if offsets is not None:
        buffers.insert(1, pa.py_buffer(offsets))
    return pa.Array.from_buffers(kind, length, buffers, null_count=nulls)


def _table(stream: Stream, columns: dict[str, Any], constants: dict[str, str]) -> pa.Table:
    """The stream's columns (C's, constants, NULL for the rest) plus `day`."""
    count = columns["ts"][0]
    fields = [f for f in arrow_schema(stream) if f.name not in _OFFSETS]
    arrays = [
        _array(f.type, columns[f.name])
        if f.name in columns
        else pa.array([constants[f.name]] * count, f.type)
        if f.name in constants
        else pa.nulls(count, f.type)
        for f in fields
    ]
    arrays.append(_array(pa.int64(), columns["day"]))
    return pa.Table.from_arrays(arrays, names=[*(f.name for f in fields), "day"])
