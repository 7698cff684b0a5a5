"""Rows -> Arrow batches -> Parquet files, one file per (stream, date) per task.

Rows are buffered column-wise; once the buffered rows of a task reach `chunk_rows` every
buffer is written out as a row group, so a worker's memory never depends on input size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from loglake.formats.timestamps import date_of
from loglake.schema import COLUMNS, PARTITION_COLUMN, Stream, arrow_schema

_CONSTANT = ("host", "file_id")
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


@dataclass
class _Buffer:
    names: tuple[str, ...]
    columns: list[list[Any]] = field(default_factory=list)
    rows: int = 0
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
    ) -> None:
        self.staging = staging
        self.part_name = part_name
        self.constants = constants
        self.compression = None if compression == "none" else compression
        self.chunk_rows = chunk_rows
        self._buffers: dict[tuple[Stream, int], _Buffer] = {}
        self._names = {
            s: tuple(c.name for c in COLUMNS[s] if c.name not in _CONSTANT) for s in Stream
        }
        self._pending = 0

    def add(self, stream: Stream, row: dict[str, Any]) -> None:
        """Buffer one row (which has `ts` and the offset columns)."""
        key = (stream, row["ts"] // _US_PER_DAY)
        buf = self._buffers.get(key)
        if buf is None:
            names = self._names[stream]
            buf = self._buffers[key] = _Buffer(names, [[] for _ in names])
        get = row.get
        for name, column in zip(buf.names, buf.columns, strict=True):
            column.append(get(name))
        buf.rows += 1
        self._pending += 1
        if self._pending >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row out as a row group of its partition's file."""
        for (stream, day), buf in self._buffers.items():
            if buf.rows:
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
                    sha256=_sha256(path),
                )
            )
        self._buffers.clear()
        return written

    def _write(self, stream: Stream, day: int, buf: _Buffer) -> None:
        schema = arrow_schema(stream)
        arrays = []
        for fld in schema:
            if fld.name in _CONSTANT:
                arrays.append(pa.array([self.constants.get(fld.name)] * buf.rows, fld.type))
            else:
                values = buf.columns[buf.names.index(fld.name)]
                arrays.append(pa.array(values, fld.type))
        table = pa.Table.from_arrays(arrays, schema=schema)
        if buf.writer is None:
            date = date_of(day * _US_PER_DAY)
            buf.relpath = f"{stream.value}/{PARTITION_COLUMN}={date}/part-{self.part_name}.parquet"
            path = self.staging / buf.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            buf.writer = pq.ParquetWriter(path, schema, compression=self.compression)
        buf.writer.write_table(table)
        buf.written += buf.rows
        buf.columns = [[] for _ in buf.names]
        buf.rows = 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
