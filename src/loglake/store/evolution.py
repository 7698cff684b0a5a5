"""Schema evolution: which columns each committed file has, and runs of files alike.

Streams only ever gain columns (`schema/base.py`). A file written by an earlier release
lacks the newer ones; readers project every file onto the current columns, filling what a
file lacks with the column's backfill or NULL. Files are grouped into runs of consecutive
files with the same columns, so a lake written by one release is read in a single scan, as
before, and a mixed lake in one scan per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loglake.schema import COLUMNS, Stream, arrow_schema, column_names, schema_id

if TYPE_CHECKING:
    import pyarrow as pa

# (column set, the files of the run in their order)
Run = tuple[frozenset[str], list[str]]


@lru_cache(maxsize=65536)
def _footer_columns(path: str) -> frozenset[str]:
    """The columns of a Parquet file, from its footer (committed files never change)."""
    import pyarrow.parquet as pq

    return frozenset(pq.read_schema(path).names)


def file_columns(stream: Stream, path: str, recorded: str | None) -> frozenset[str]:
    """The columns of a committed file: the current ones if its recorded schema id is
    today's, otherwise as its footer says (files written before ids were recorded)."""
    if recorded == schema_id(stream):
        return frozenset(column_names(stream))
    return _footer_columns(path)


def runs(stream: Stream, files: Iterable[tuple[str, str | None]]) -> list[Run]:
    """Consecutive files with the same columns, in the given order."""
    out: list[Run] = []
    for path, recorded in files:
        columns = file_columns(stream, path, recorded)
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

    present = _footer_columns(path)
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
