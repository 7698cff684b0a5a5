"""Rows -> Arrow batches -> Parquet files, one file per (stream, date) per task.

Rows are buffered column-wise; once the buffered rows of a task reach `chunk_rows` every
buffer is written out as a row group, so a worker's memory never depends on input size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loglake.formats.timestamps import date_of
from loglake.ingest.templates import Miner
from loglake.layout import PARTITION_FILE
from loglake.schema import PARTITION_COLUMN, Stream, arrow_schema, schema_id

_CONSTANT = ("file_id",)
# a row's own value wins; rows without one (and tables) get the task's (`host`: a format
# may know each record's host, as application logs do, else the file's is used)
_DEFAULTED = ("host",)
_US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class WrittenFile:
    """A Parquet file a task wrote, relative to the staging directory."""

    relpath: str
    stream: str
    date: str
    rows: int
    bytes: int
    sha256: str
    schema: str  # schema.schema_id of the stream when written


@dataclass
class _Buffer:
    rows: list[dict[str, Any]] = field(default_factory=list)
    tables: list[pa.Table] = field(default_factory=list)
    writer: pq.ParquetWriter | None = None
    relpath: str = ""
    written: int = 0


class PartitionedWriter:
    """Buffers rows of every stream by UTC date and writes them as Parquet."""

    def __init__(
        self,
        staging: Path,
        part_name: str,
        constants: dict[str, Any],
        compression: str,
        chunk_rows: int,
        miner: Miner | None = None,
    ) -> None:
        self.staging = staging
        self.miner = miner  # fills events' template_id, whatever format wrote the rows
        self.part_name = part_name
        self.constants = constants
        self.compression = None if compression == "none" else compression
        self.chunk_rows = chunk_rows
        self._buffers: dict[tuple[Stream, int], _Buffer] = {}
        self._pending = 0
        self._held = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """No flush while adding one block's tables and rows (written in file order)."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
        if self._pending >= self.chunk_rows:
            self.flush()

    def add(self, stream: Stream, row: dict[str, Any]) -> None:
        """Buffer one row (which has `ts` and the offset columns)."""
        key = (stream, row["ts"] // _US_PER_DAY)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = _Buffer()
        buf.rows.append(row)
        self._pending += 1
        if self._pending >= self.chunk_rows and not self._held:
            self.flush()

    def add_table(self, stream: Stream, table: pa.Table) -> None:
        """Buffer an Arrow table of rows (stream columns without the constants, plus `day`)."""
        days = table.column("day")
        unique = pc.unique(days).to_pylist()
        for day in unique:
            part = table if len(unique) == 1 else table.filter(pc.equal(days, day))
            buf = self._buffers.get((stream, day))
            if buf is None:
                buf = self._buffers[stream, day] = _Buffer()
            buf.tables.append(part.drop_columns(["day"]))
            self._pending += part.num_rows
        if self._pending >= self.chunk_rows and not self._held:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row out as a row group of its partition's file."""
        for (stream, day), buf in self._buffers.items():
            if buf.rows or buf.tables:
                self._write(stream, day, buf)
        self._pending = 0

    def close(self) -> list[WrittenFile]:
        """Flush, close every file and describe what was written."""
        self.flush()
        written = []
        for (stream, _day), buf in self._buffers.items():
            if buf.writer is None:
                continue
            buf.writer.close()
            path = self.staging / buf.relpath
            written.append(
                WrittenFile(
                    relpath=buf.relpath,
                    stream=stream.value,
                    date=buf.relpath.split("/")[1].split("=", 1)[1],
                    rows=buf.written,
                    bytes=path.stat().st_size,
                    sha256=file_digest(path),
                    schema=schema_id(stream),
                )
            )
        self._buffers.clear()
        return written

    def _write(self, stream: Stream, day: int, buf: _Buffer) -> None:
        schema = arrow_schema(stream)
        parts = [self._with_constants(t, stream) for t in buf.tables]
        if buf.rows:
            parts.append(rows_to_table(buf.rows, stream, self.constants))
        table = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
        if stream is Stream.EVENTS and buf.tables and buf.rows:  # a block's tables and the
            table = _in_file_order(table)  # rows of its other records, as the miner must see
        if stream is Stream.EVENTS and self.miner is not None:
            table = self.miner.assign(table)
        if buf.writer is None:
            date = date_of(day * _US_PER_DAY)
            buf.relpath = PARTITION_FILE.format(
                stream=stream.value, column=PARTITION_COLUMN, date=date, part=self.part_name
            )
            path = self.staging / buf.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            buf.writer = pq.ParquetWriter(path, schema, compression=self.compression)
        buf.writer.write_table(table)
        buf.written += table.num_rows
        buf.rows = []
        buf.tables = []

    def _with_constants(self, table: pa.Table, stream: Stream) -> pa.Table:
        schema = arrow_schema(stream)
        names = set(table.column_names)
        arrays = [
            pa.array([self.constants.get(f.name)] * table.num_rows, f.type)
            if f.name in _CONSTANT or (f.name in _DEFAULTED and f.name not in names)
            else self._defaulted(table.column(f.name).cast(f.type), f.name)
            for f in schema
        ]
        return pa.Table.from_arrays(arrays, schema=schema)

    def _defaulted(self, column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
        """A table's column, where it is one of _DEFAULTED, with the task's value in its
        nulls (as `rows_to_table` fills a row's)."""
        if name in _DEFAULTED and column.null_count and self.constants.get(name) is not None:
            return pc.fill_null(column, self.constants[name])
        return column


def _in_file_order(table: pa.Table) -> pa.Table:
    """The table sorted by offset (one file's rows), unless it is already."""
    offsets = table.column("file_offset").to_numpy()
    if len(offsets) < 2 or bool((offsets[1:] >= offsets[:-1]).all()):
        return table
    return table.sort_by("file_offset")


@cache
def _row_type(stream: Stream) -> pa.StructType:
    return pa.struct([f for f in arrow_schema(stream) if f.name not in _CONSTANT])


def rows_to_table(
    rows: list[dict[str, Any]], stream: Stream, constants: dict[str, Any]
) -> pa.Table:
    """Row dicts -> an Arrow table of the stream's schema (conversion runs in C++)."""
    schema = arrow_schema(stream)
    row_type = _row_type(stream)
    # converting only the columns some row has, and the others as nulls, halves the cost:
    # Arrow looks every field up in every row dict, and a format fills few of a stream's
    present = set().union(*rows)
    fields = [f for f in row_type if f.name in present]
    by_name = {f.name: pa.nulls(len(rows), f.type) for f in row_type if f.name not in present}
    try:
        children = pa.array(rows, type=pa.struct(fields)).flatten()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        children = [_sanitized(rows, f) for f in fields]
    by_name.update(zip((f.name for f in fields), children, strict=True))
    for name in _DEFAULTED:
        if constants.get(name) is not None and by_name[name].null_count:
            by_name[name] = pc.fill_null(by_name[name], constants[name])
    arrays = [
        pa.array([constants.get(f.name)] * len(rows), f.type)
        if f.name in _CONSTANT
        else by_name[f.name]
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int64": (int,),
    "int32": (int,),
    "double": (int, float),
    "bool": (bool,),
}


def _sanitized(rows: list[dict[str, Any]], fld: pa.Field) -> pa.Array:
    """One column where a value of the wrong type (or out of range) becomes null."""
    allowed = _PYTHON_TYPES.get(str(fld.type), (int,))
    values = []
    for row in rows:
        value = row.get(fld.name)
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if ok and isinstance(value, int) and not isinstance(value, bool):
            ok = -(2**63) <= value < 2**63 and (
                str(fld.type) != "int32" or -(2**31) <= value < 2**31
            )
        values.append(value if ok else None)
    return pa.array(values, fld.type)


def file_digest(path: Path) -> str:
    """The sha256 of a file, as recorded for every artifact in the manifest."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
