"""Schema evolution: which columns each committed file has, and runs of files alike.

Streams only ever gain columns (`schema/base.py`). A file written by an earlier release
lacks the newer ones; readers project every file onto the current columns, filling what a
file lacks with the column's backfill or NULL. Files are grouped into runs of consecutive
files with the same columns, so a lake written by one release is read in a single scan, as
before, and a mixed lake in one scan per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from loglake.schema import COLUMNS, Stream, arrow_schema, column_names, schema_id
from loglake.store.fs import local_path, open_location

if TYPE_CHECKING:
    import pyarrow as pa

# (column set, the files of the run in their order)
Run = tuple[frozenset[str], list[str]]


ColumnReader = Callable[[str], frozenset[str]]  # a Parquet file's column names, from its footer


def pyarrow_columns(path: str) -> frozenset[str]:
    """A Parquet file's columns read by pyarrow (for readers that have nothing lighter)."""
    import pyarrow.parquet as pq

    if local_path(path) is None:  # on object storage: through the seam
        with open_location(path) as f:
            return frozenset(pq.read_schema(f).names)
    return frozenset(pq.read_schema(path).names)


_BY_KEY: dict[tuple[Stream, str], frozenset[str]] = {}


def file_columns(
    stream: Stream, path: str, key: str | None, read_columns: ColumnReader = pyarrow_columns
) -> frozenset[str]:
    """The columns of a committed file from its schema key (`Location.schema_key`): the
    current ones if it is today's schema id; otherwise the footer of the first file seen
    with that key (every file one ingest wrote has the same columns; files never change)."""
    if key == schema_id(stream):
        return frozenset(column_names(stream))
    if key is None:
        return read_columns(path)
    found = _BY_KEY.get((stream, key))
    if found is None:
        found = _BY_KEY[stream, key] = read_columns(path)
    return found


def runs(
    stream: Stream,
    files: Iterable[tuple[str, str | None]],
    read_columns: ColumnReader = pyarrow_columns,
) -> list[Run]:
    """Consecutive files with the same columns, in the given order; `read_columns` reads a
    footer when a file's schema key does not say (each engine passes its own reader)."""
    out: list[Run] = []
    for path, key in files:
        columns = file_columns(stream, path, key, read_columns)
        if out and out[-1][0] == columns:
            out[-1][1].append(path)
        else:
            out.append((columns, [path]))
    return out


def read_conformed(path: str, stream: Stream) -> pa.Table:
    """A committed file as a table of the stream's current columns, backfilled like the
    views do (compaction rewrites old files with it, so nothing is lost on the way)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    present = pyarrow_columns(path)
    if local_path(path) is None:  # on object storage: through the seam
        with open_location(path) as f:
            table = pq.read_table(f, schema=arrow_schema(stream))
    else:
        table = pq.read_table(path, schema=arrow_schema(stream))
    for col in COLUMNS[stream]:
        fill = col.backfill
        if col.name in present or fill is None or fill.source not in present:
            continue
        values = pc.fill_null(pc.is_in(table.column(fill.source), pa.array(fill.values)), False)
        table = table.set_column(table.schema.get_field_index(col.name), col.name, values)
    return table


def complete_record(stream: Stream, record: dict[str, Any]) -> dict[str, Any]:
    """One row read straight from a file, with every current column (backfilled as the views
    do when the file predates it); keys the stream does not declare are kept at the end."""
    out: dict[str, Any] = {}
    for col in COLUMNS[stream]:
        fill = col.backfill
        if col.name in record:
            out[col.name] = record[col.name]
        elif fill is not None and fill.source in record:
            out[col.name] = record[fill.source] in fill.values
        else:
            out[col.name] = None
    out.update((k, v) for k, v in record.items() if k not in out)
    return out
