"""Keyword or regular-expression search over every logged line, bounded and paginated.

Lines are matched on the raw bytes of the source files, found through the file map, so bad
lines (which are not in `events`) are found too. Filters on time, level and component are
answered by `events`: a hit must then be an event row they select, and each file is scanned
only over the bytes holding such rows. RE2 searches large blocks of lines at once, in time
linear in the input whatever the pattern; where a case-sensitive keyword is found close
together, `find` takes over. Scans that find little run on threads (RE2 frees the GIL).

Hits are ordered by time, then file_id and file_offset; hits without a time (bad lines)
come last. When more than `search_max_matches` lines match, the scan stops: the first that
many in (file_id, file_offset) order are kept and `capped` is set. The ordered hits of the
last few searches are kept, so turning pages does not scan again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import mmap
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loglake.analytics import sql
from loglake.analytics.filters import engine_of, where
from loglake.analytics.scan import Matcher, case_sensitive, compile_query, scan_files
from loglake.errors import InputError, LoglakeError, StoreError
from loglake.schema import PARTITION_COLUMN, Stream
from loglake.sources.compression import entry_codec
from loglake.store.fs import local_path
from loglake.store.raw import load_file_map, open_source, source_location

if TYPE_CHECKING:
    from loglake.analytics.engine import Lake

LINE_CHARS = 2000  # longest `line` returned; a longer one is cut and flagged
CACHE_ENTRIES = 4  # searches whose ordered hits are kept (at most 28 bytes per hit each)
MAPS_KEPT = 64  # plain sources kept memory-mapped between searches (saves mapping 1 GB anew)
EVENT_FILTERS = ("from", "to", "level", "component")

_NO_TS = int(np.iinfo(np.int64).max)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CACHE: OrderedDict[tuple[Any, ...], Hits] = OrderedDict()
_MAPS: OrderedDict[tuple[Any, ...], mmap.mmap] = OrderedDict()  # (path, inode, size, mtime)
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Hits:
    """Matching lines in result order, and whether the scan stopped at the cap."""

    file_ids: tuple[str, ...]
    file_index: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    ts_us: np.ndarray  # _NO_TS for a line that is no event
    capped: bool
    missing: tuple[str, ...]  # files of the file map that could not be opened


def _filtered(params: dict[str, Any]) -> bool:
    return any(params.get(name) is not None for name in EVENT_FILTERS)


def _ranges(lake: Lake, cur: Any, params: dict[str, Any]) -> dict[str, tuple[int, int | None]]:
    """file_id -> bytes to scan (in file_id order): all ingested, or those of chosen events."""
    listed = lake.manifest.get("files", {})
    file_id = params.get("file_id")
    if file_id is not None and file_id not in listed:
        raise InputError(f"file_id: no file {file_id!r} in this dataset")
    if _filtered(params):
        clause, values = where(Stream.EVENTS, params)
        rows = cur.execute(sql.render("search_ranges", where=clause), values).fetchall()
        return {f: (lo, hi) for f, lo, hi in sorted(rows)}
    engine = params.get("engine")  # every line of that engine's files, bad lines included
    return {
        f: (0, None if entry_codec(entry) else entry.get("ingested_bytes"))
        for f, entry in sorted(listed.items())
        if file_id in (None, f) and engine in (None, engine_of(entry.get("format")))
    }


def _source(root: Path, entry: dict[str, Any]) -> Any:
    """An open source; plain files stay mapped between searches, as long as they are unchanged."""
    location = source_location(root, entry)
    if entry_codec(entry) or local_path(location) is None:  # streamed: compressed, or an object
        return open_source(root, entry)
    path = Path(location)  # a local file: mapped (search reads all of it)
    try:
        st = path.stat()
    except OSError:
        if entry.get("cold"):  # the hot source is gone: its archived raw lines on the cold tier
            return open_source(root, entry)
        raise StoreError(f"cannot open the source {path}") from None
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _CACHE_LOCK:
        if key in _MAPS:
            _MAPS.move_to_end(key)
            return _MAPS[key]
    handle = open_source(root, entry)
    with _CACHE_LOCK:
        _MAPS[key] = handle
        while len(_MAPS) > MAPS_KEPT:  # unmapped once no search holds it any more
            _MAPS.popitem(last=False)
    return handle


def _open(root: Path, entries: dict[str, dict[str, Any]], file_ids: Any) -> dict[str, Any]:
    """The sources that can be opened (one moved, deleted or not in the file map is left out)."""
    handles = {}
    for file_id in file_ids:
        with contextlib.suppress(LoglakeError, KeyError):
            handles[file_id] = _source(root, entries[file_id])
    return handles


def _close(handles: dict[str, Any]) -> None:
    for handle in handles.values():
        if not isinstance(handle, mmap.mmap):
            handle.close()


def _order(
    cur: Any, params: dict[str, Any], file_ids: list[str], found: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """Hits with the time of their event, in result order (only events when filtering)."""
    import pyarrow as pa

    if not len(found[0]):
        return (*found, np.zeros(0, np.int64))
    index, offsets, lengths = found
    hits = pa.table({"file_index": index, "file_offset": offsets, "line_length": lengths})
    files = pa.table({"file_index": np.arange(len(file_ids), dtype=np.int32), "file_id": file_ids})
    # the files scanned are already the chosen file's or engine's (`_ranges`)
    clause, values = where(Stream.EVENTS, {**params, "file_id": None, "engine": None})
    text = sql.render("search_order", join="INNER" if _filtered(params) else "LEFT", where=clause)
    cur.register("search_hits", hits)
    cur.register("search_files", files)
    try:
        result = cur.execute(text, [_NO_TS, *values]).fetchnumpy()
    finally:
        cur.unregister("search_hits")
        cur.unregister("search_files")
    return tuple(
        np.asarray(result[c]) for c in ("file_index", "file_offset", "line_length", "ts_us")
    )


def _hits(lake: Lake, cur: Any, params: dict[str, Any], matcher: Matcher, key: tuple) -> Hits:
    """The ordered hits of a search: from the cache, or by scanning the sources."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    ranges = _ranges(lake, cur, params)
    sources = load_file_map(lake.root).get("files", {}) if ranges else {}
    handles = _open(lake.root, sources, ranges)
    file_ids = list(handles)
    budget = lake.settings.search_max_matches
    try:
        found = scan_files(
            [handles[f] for f in file_ids], [ranges[f] for f in file_ids], matcher, budget + 1
        )
    finally:
        _close(handles)
    capped = len(found[0]) > budget
    index, offsets, lengths, ts_us = _order(
        cur, params, file_ids, tuple(column[:budget] for column in found)
    )
    missing = tuple(sorted(set(ranges) - set(handles)))
    hits = Hits(tuple(file_ids), index, offsets, lengths, ts_us, capped, missing)
    with _CACHE_LOCK:
        _CACHE[key] = hits
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return hits


def _page(cur: Any, hits: Hits, offset: int, limit: int) -> list[dict[str, Any]]:
    """One page of hits with their events columns (NULL for a hit that is no event)."""
    import pyarrow as pa

    window = slice(offset, offset + limit)
    index = hits.file_index[window]
    if not len(index):
        return []
    known = hits.ts_us[window][hits.ts_us[window] != _NO_TS]
    bounds: list[Any] = [None] * 4  # the page's time range lets DuckDB skip files
    if len(known):
        first, last = (_EPOCH + dt.timedelta(microseconds=int(f(known))) for f in (min, max))
        bounds = [first, last, first.date(), last.date()]
    table = pa.table(
        {
            "position": np.arange(len(index)),
            "file_id": pa.array(hits.file_ids, pa.string()).take(index),
            "file_offset": hits.offsets[window],
            "line_length": hits.lengths[window],
        }
    )
    cur.register("search_page", table)
    try:
        return sql.fetch(cur, sql.render("search_page", partition=PARTITION_COLUMN), bounds)
    finally:
        cur.unregister("search_page")


def _add_lines(root: Path, rows: list[dict[str, Any]]) -> None:
    """Each row's raw `line` (at most LINE_CHARS, `line_truncated` when cut; None if gone)."""
    if not rows:
        return
    entries = load_file_map(root).get("files", {})
    handles = _open(root, entries, {row["file_id"] for row in rows})
    try:
        for row in rows:
            handle, offset = handles.get(row["file_id"]), row["file_offset"]
            want = min(row["line_length"], LINE_CHARS * 4)  # UTF-8: at most 4 bytes a character
            row["line"], row["line_truncated"] = None, False
            if handle is None:
                continue
            if isinstance(handle, mmap.mmap):
                raw = handle[offset : offset + want]
            else:
                handle.seek(offset)
                raw = handle.read(want)
            text = raw.decode("utf-8", "replace")
            row["line"] = text[:LINE_CHARS]
            row["line_truncated"] = len(raw) < row["line_length"] or len(text) > LINE_CHARS
    finally:
        _close(handles)


def search(lake: Lake, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the lines matching q (of events, without q) and how many match in all."""
    q, regex, limit, offset = params.get("q"), params["regex"], params["limit"], params["offset"]
    sensitive = case_sensitive(q, regex, params["case"]) if q else None
    matcher = compile_query(q, regex, bool(sensitive)) if q else None
    missing: tuple[str, ...] = ()
    with lake.snapshot() as cur:
        if matcher is None:
            clause, values = where(Stream.EVENTS, params)
            text = sql.render("search_browse", where=clause)
            rows = sql.fetch(cur, text, [*values, limit, offset])
            count = sql.render("count", stream=Stream.EVENTS.value, where=clause)
            total, capped = sql.fetch_one(cur, count, values)["total"], False
        else:
            key = (
                str(lake.root), lake.snapshot_version(cur), q, regex, sensitive,
                params.get("file_id"), params.get("engine"),
                *(params.get(n) for n in EVENT_FILTERS),
                lake.settings.search_max_matches,
            )  # fmt: skip
            hits = _hits(lake, cur, params, matcher, key)
            rows = _page(cur, hits, offset, limit)
            total, capped, missing = len(hits.offsets), hits.capped, hits.missing
    _add_lines(lake.root, rows)
    return {
        "rows": rows,
        "total": total,
        "capped": capped,
        "limit": limit,
        "offset": offset,
        "query": {"q": q, "regex": regex, "case": params["case"], "case_sensitive": sensitive},
        "missing_files": list(missing),
    }
