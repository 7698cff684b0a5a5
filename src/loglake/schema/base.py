"""What a stream declaration is made of: columns, their docs, and how old files map to them.

A stream is declared once, in its own module of this package (`SPEC = StreamSpec(...)`);
Arrow schemas, the views over the lake, the Polars schemas and the docs derive from it.
Columns are only ever appended: a lake keeps files written before a column existed, and the
readers (analytics' views, the Polars engine) give such files the column's `backfill` value
(or NULL), so a lake written by an earlier release keeps answering.
"""

from __future__ import annotations

from dataclasses import dataclass

# type code -> SQL type; `arrow_schema` maps the same codes to Arrow types
SQL_TYPES = {
    "ts": "TIMESTAMPTZ",
    "str": "VARCHAR",
    "i64": "BIGINT",
    "i32": "INTEGER",
    "f64": "DOUBLE",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Backfill:
    """A boolean column's value in files written before it existed: `source IN values`.

    NULL sources give false, as the ingest of newer files does.
    """

    source: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    """One column: its name, a type code (see `SQL_TYPES`) and what it means."""

    name: str
    kind: str
    doc: str
    backfill: Backfill | None = None


@dataclass(frozen=True)
class StreamSpec:
    """One stream of the lake: a Parquet dataset partitioned by UTC date."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    partition_column: str = "date"
    # False for the snapshots the live PostgreSQL advisor commits (`loglake pg collect`):
    # no log format writes them, so the ingest report leaves them out
    from_logs: bool = True

    def column(self, name: str) -> Column:
        """The column called `name` (KeyError when the stream has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


# Columns every stream starts with: when, where it came from, and how to read the line back.
COMMON = (
    Column("ts", "ts", "event time, UTC"),
    Column("host", "str", "server that wrote the log (host:port when known)"),
    Column("file_id", "str", "source file id, see index/file_map.json"),
    Column("file_offset", "i64", "byte offset of the record in the (decompressed) source"),
    Column("line_length", "i64", "length of the record in bytes, without its last line ending"),
)

# Columns every snapshot of the live PostgreSQL advisor adds after COMMON (`ts` is the capture
# time too; `file_id` names the snapshot, the offsets are 0): snapshots accumulate, and two of
# them are compared by these columns.
PG_SNAPSHOT = (
    Column("captured_at", "ts", "when the snapshot was taken (UTC; the same instant as ts)"),
    Column("snapshot_id", "str", "the snapshot (one `loglake pg collect`)"),
    Column("server", "str", "host:port/database collected from (never a password)"),
)
