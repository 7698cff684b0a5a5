"""Vectorized parsing of MongoDB JSON logs: a block of lines at a time, in DuckDB.

A block (many complete lines) becomes an Arrow string column without copying; DuckDB's
`json_transform` parses every line once, in C++, and yields the `events` columns and the
slow-query, authentication and connection fields. Python only computes what needs our
own logic — query shapes, and the few authentication/connection rows — through the same
functions as the per-line parser. Any line the SQL path cannot read (invalid JSON, no
timestamp, odd types) is handed to the per-line parser, which decides and classifies it,
so both paths produce the same rows.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from loglake.formats.base import BadLine, BlockResult, FileContext, LineParser
from loglake.formats.mongodb import json_line
from loglake.schema import Stream, arrow_schema

_SQL = (Path(__file__).parent / "json_block.sql").read_text()
_WHITESPACE = b" \t\r\n\x0b\x0c"


@cache
def _connection_of(_pid: int) -> Any:
    """One DuckDB connection per process, reused by its tasks (opening costs ~30 ms).

    Keyed by pid so that a forked worker never uses a connection inherited from its parent.
    """
    import duckdb

    # One thread from the start (parallelism comes from worker processes): a connection
    # opened with more and then cut to one has to join threads it started, and in a worker
    # forked from a process that runs DuckDB threads of its own (a server, a test session),
    # such a join was seen to hang forever.
    con = duckdb.connect(config={"threads": 1, "memory_limit": "256MB"})
    con.execute("SET TimeZone = 'UTC'")
    return con


class JsonBlockParser:
    """Parses blocks of complete lines; one per worker task (it owns a DuckDB connection)."""

    def __init__(self, ctx: FileContext, max_line: int) -> None:
        self.max_line = max_line
        self.line_parser: LineParser = json_line.make_parser(ctx)
        self.con = _connection_of(os.getpid())

    def close(self) -> None:
        """Nothing to release: the process keeps its DuckDB connection for the next task."""

    def parse(self, block: bytes, base: int) -> BlockResult:
        """Parse `block` (complete lines; the last may lack its newline) read at `base`."""
        result = BlockResult()
        view = np.frombuffer(block, dtype=np.uint8)
        newlines = np.flatnonzero(view == 10)
        starts = np.empty(len(newlines) + 1, dtype=np.int64)
        starts[0] = 0
        starts[1:] = newlines + 1
        ends = np.append(newlines, len(block)).astype(np.int64)
        if starts[-1] == len(block):  # the block ends with a newline: no last partial line
            starts, ends = starts[:-1], ends[:-1]
        count = len(starts)
        result.lines = count
        if count == 0:
            return result
        cr = (ends > starts) & (view[np.maximum(ends - 1, 0)] == 13)
        lengths = ends - starts - cr
        data = self._masked(block, starts, ends, lengths, base, result)
        offsets = np.append(starts, len(block)).astype(np.int64)
        lines = pa.Array.from_buffers(
            pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        table = pa.table(
            {
                "file_offset": pa.array(starts + base),
                "line_length": pa.array(lengths),
                "line": lines,
            }
        )
        self.con.register("block_lines", table)
        try:
            parsed = self.con.sql(_SQL).to_arrow_table()
        finally:
            self.con.unregister("block_lines")
        self._split(parsed, block, base, result)
        return result

    @staticmethod
    def _already_judged(result: BlockResult) -> set[int]:
        return {offset for offset, _length, _reason, _line in result.bad}

    def _masked(
        self,
        block: bytes,
        starts: np.ndarray,
        ends: np.ndarray,
        lengths: np.ndarray,
        base: int,
        result: BlockResult,
    ) -> bytes:
        """The block with lines SQL must not see (bad UTF-8, too long) blanked out."""
        doomed: list[int] = []
        for i in np.flatnonzero(lengths > self.max_line):
            doomed.append(int(i))
            result.bad.append((int(starts[i] + base), int(lengths[i]), "too_long", None))
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:  # rare: find the offending lines one by one
            for n in range(len(starts)):
                line = block[starts[n] : starts[n] + lengths[n]]
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    if lengths[n] > self.max_line:
                        continue
                    outcome = self.line_parser(line)
                    reason = outcome.reason.value if isinstance(outcome, BadLine) else "not_utf8"
                    result.bad.append((int(starts[n] + base), int(lengths[n]), reason, line))
                    doomed.append(n)
        if not doomed:
            return block
        masked = bytearray(block)
        for n in doomed:
            masked[starts[n] : ends[n]] = b" " * int(ends[n] - starts[n])
        data = bytes(masked)
        return data

    def _split(self, parsed: pa.Table, block: bytes, base: int, result: BlockResult) -> None:
        """Route SQL output to streams; hand unreadable lines to the per-line parser."""
        status = parsed.column("status").to_numpy(zero_copy_only=False)
        offsets = parsed.column("file_offset").to_numpy()
        lengths = parsed.column("line_length").to_numpy()
        judged = self._already_judged(result)  # masked out before SQL: bad already
        for i in np.flatnonzero(status == 2):  # SQL could not read it: the line parser decides
            if int(offsets[i]) in judged:
                continue
            start = int(offsets[i] - base)
            line = block[start : start + int(lengths[i])]
            if not line.strip(_WHITESPACE):
                result.blank += 1
                continue
            outcome = self.line_parser(line)
            if isinstance(outcome, BadLine):
                result.bad.append((int(offsets[i]), int(lengths[i]), outcome.reason.value, line))
                continue
            for _stream, row in outcome.rows:
                row.update(file_offset=int(offsets[i]), line_length=int(lengths[i]))
            result.rows.extend(outcome.rows)
        good = parsed.filter(pc.equal(parsed.column("status"), 1))
        events = _select(good, Stream.EVENTS)
        slow = good.filter(pc.equal(good.column("msg_id"), json_line.SLOW_QUERY))
        if slow.num_rows:
            result.tables[Stream.SLOW_QUERIES] = _slow_table(slow)
        has_attr = pc.is_valid(good.column("attr_json"))
        others = good.filter(has_attr)
        if others.num_rows:
            rows, users = _other_rows(others)
            result.rows.extend(rows)
            if any(user is not None for user in users):  # authentication lines name a user
                column = [None] * good.num_rows
                for position, user in zip(np.flatnonzero(has_attr), users, strict=True):
                    column[position] = user
                at = events.schema.get_field_index("user")
                events = events.set_column(at, "user", pa.array(column, pa.string()))
        result.tables[Stream.EVENTS] = events


def _select(table: pa.Table, stream: Stream) -> pa.Table:
    names = [f.name for f in arrow_schema(stream) if f.name not in ("host", "file_id")]
    return table.select([*names, "day"])


_IDENTITY = ("db", "collection", "namespace", "op", "op_type", "shape", "shape_hash", "is_system")
_PYTHON_COLUMNS = _IDENTITY


def _slow_table(slow: pa.Table) -> pa.Table:
    """The slow_queries columns: SQL's, plus identity, shape and client from Python."""
    computed: dict[str, list[Any]] = {k: [] for k in _PYTHON_COLUMNS}
    appends = [computed[k].append for k in _IDENTITY]
    for ns, op_type, cmd, orig in zip(
        slow.column("ns").to_pylist(),
        slow.column("op_type_raw").to_pylist(),
        slow.column("command").to_pylist(),
        slow.column("originating").to_pylist(),
        strict=True,
    ):
        ident = json_line.query_identity(ns, op_type, _loads(cmd), _loads(orig))
        for key, append in zip(_IDENTITY, appends, strict=True):
            append(ident[key])
    fields = [f for f in arrow_schema(Stream.SLOW_QUERIES) if f.name not in ("host", "file_id")]
    columns = [
        pa.array(computed[f.name], f.type)
        if f.name in computed
        else slow.column(f.name).cast(f.type)
        if f.name in slow.column_names
        else pa.nulls(slow.num_rows, f.type)  # another engine's column (PostgreSQL's)
        for f in fields
    ]
    return pa.Table.from_arrays(
        [*columns, slow.column("day")], names=[*(f.name for f in fields), "day"]
    )


def _other_rows(table: pa.Table) -> tuple[list[tuple[Stream, dict[str, Any]]], list[Any]]:
    """Connection and authentication rows, built by the per-line parser's own functions
    from their attributes; also the user each line names (for its event)."""
    rows: list[tuple[Stream, dict[str, Any]]] = []
    users: list[Any] = []
    columns = [
        table.column(name).to_pylist()
        for name in ("msg_id", "context", "attr_json", "file_offset", "line_length")
    ]
    stamps = table.column("ts").cast(pa.int64()).to_pylist()
    for msg_id, context, text, offset, length, ts in zip(*columns, stamps, strict=True):
        attr = _loads(text)
        attr = attr if type(attr) is dict else {}
        if msg_id in json_line.AUTH_OK or msg_id in json_line.AUTH_FAIL:
            row = json_line.auth_row(msg_id, attr, context)
            stream = Stream.AUTHENTICATIONS
            users.append(row["user"])
        else:
            row = json_line.connection_row(msg_id, attr, context)
            stream = Stream.CONNECTIONS
            users.append(None)
        row["ts"] = ts
        row["file_offset"] = offset
        row["line_length"] = length
        rows.append((stream, row))
    return rows, users


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)  # what the per-line parser falls back to, too
        except (ValueError, RecursionError):
            return None
