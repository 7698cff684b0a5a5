"""The original line behind a row, read by offset, with the row parsed from it."""

from __future__ import annotations

from typing import Any

import orjson

from loglake.analytics import sql
from loglake.errors import InputError, NotFoundError
from loglake.schema import PARTITION_COLUMN, Stream
from loglake.store.raw import RawReader

# the stream that holds the richest record of a line comes first; `events` has every line
_LOOKUP_ORDER = (
    Stream.SLOW_QUERIES,
    Stream.AUTHENTICATIONS,
    Stream.CONNECTIONS,
    Stream.EVENTS,
)


def find_record(cur: Any, file_id: str, file_offset: int) -> tuple[Stream, dict[str, Any]] | None:
    """The stream and row stored for the line at (file_id, file_offset), if any."""
    for stream in _LOOKUP_ORDER:
        text = sql.render("detail", stream=stream.value, partition=PARTITION_COLUMN)
        row = sql.fetch_one(cur, text, [file_id, file_offset])
        if row:
            row["ts"] = sql.iso(row["ts"])
            return stream, row
    return None


def pretty(raw: str) -> str | None:
    """The line pretty-printed when it is JSON, else None."""
    try:
        return orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return None


def detail(cur: Any, reader: RawReader, params: dict[str, Any]) -> dict[str, Any]:
    """`raw` (the original line), `pretty`, the `stream` and `record` stored for it."""
    file_id, offset = params.get("file_id"), params.get("file_offset")
    if not file_id or offset is None:
        raise InputError("file_id and file_offset are required")
    found = find_record(cur, file_id, offset)
    if found is None:
        raise NotFoundError(f"no logged line at file_id={file_id!r} file_offset={offset}")
    stream, record = found
    raw = reader.read_line(file_id, offset, record["line_length"]).decode("utf-8", "replace")
    return {
        "file_id": file_id,
        "file_offset": offset,
        "stream": stream.value,
        "raw": raw,
        "pretty": pretty(raw),
        "record": record,
    }
