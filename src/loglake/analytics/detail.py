"""The original line behind a row, read by offset, with the row parsed from it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import orjson

from loglake.analytics import sql
from loglake.errors import NotFoundError
from loglake.schema import Stream
from loglake.store.evolution import complete_record
from loglake.store.raw import RawReader

if TYPE_CHECKING:
    from loglake.analytics.session import DuckSession

# the stream that holds the richest record of a line comes first; `events` has every line
LOOKUP_ORDER = (
    Stream.SLOW_QUERIES,
    Stream.AUTHENTICATIONS,
    Stream.CONNECTIONS,
    Stream.EVENTS,
)


class RowLocator:
    """Which Parquet files can hold the row of a line, from their row groups' statistics.

    Rows of one source file are written in offset order, so a row group covers a narrow
    range of (file_id, file_offset); knowing those ranges, a lookup reads one or two files
    instead of asking every file of a stream. The ranges are read once per dataset version.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: str | None = None
        self._spans: dict[Stream, list[tuple[str, str, int, int, str]]] = {}

    def _load(self, cur: Any, files: dict[Stream, list[str]]) -> None:
        text = sql.load("row_group_spans")
        self._spans = {}
        for stream, paths in files.items():
            rows = cur.execute(text, [paths]).fetchall() if paths else []
            self._spans[stream] = [
                (id_min, id_max, lo, hi, name)
                for name, _, id_min, id_max, lo, hi in rows
                if None not in (id_min, id_max, lo, hi)
            ]

    def files(
        self, cur: Any, version: str, files: dict[Stream, list[str]], stream: Stream,
        file_id: str, offset: int,
    ) -> list[str]:  # fmt: skip
        """The files of a stream whose row groups may hold (file_id, offset)."""
        with self._lock:
            if version != self._version:
                self._load(cur, files)
                self._version = version
            spans = self._spans.get(stream, [])
        return sorted(
            {name for lo_id, hi_id, lo, hi, name in spans
             if lo_id <= file_id <= hi_id and lo <= offset <= hi}
        )  # fmt: skip


def find_record(
    cur: Any, locator: RowLocator, version: str, files: dict[Stream, list[str]],
    file_id: str, file_offset: int,
) -> tuple[Stream, dict[str, Any]] | None:  # fmt: skip
    """The stream and row stored for the line at (file_id, file_offset), if any."""
    for stream in LOOKUP_ORDER:
        candidates = locator.files(cur, version, files, stream, file_id, file_offset)
        if not candidates:
            continue
        row = sql.fetch_one(cur, sql.load("detail"), [candidates, file_id, file_offset])
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


def detail(session: DuckSession, params: dict[str, Any]) -> dict[str, Any]:
    """`raw` (the original line), `pretty`, the `stream` and `record` stored for it."""
    file_id, offset = params["file_id"], params["file_offset"]
    with session.snapshot() as cur:
        version = session.lake.snapshot_version(cur)
        files = session.lake.snapshot_files(version)
        found = find_record(cur, session.locator, version, files, file_id, offset)
    return answer(session.reader, file_id, offset, found)


def answer(
    reader: RawReader, file_id: str, offset: int, found: tuple[Stream, dict[str, Any]] | None
) -> dict[str, Any]:
    """The detail of a line from the row found for it (NotFoundError when none was)."""
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
        "record": complete_record(stream, record),
    }
