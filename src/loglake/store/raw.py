"""Reading an original line back by (file_id, file_offset, line_length).

Only files listed in the dataset's file map can be read: a file_id is the only handle a
caller has, never a path. Plain files are memory-mapped; `.gz` files are read through the
seek index built during ingest, so a lookup never decompresses from the start.
`load_file_map`, `source_location` and `open_source` are shared with search, which scans
whole sources.
"""

from __future__ import annotations

import json
import mmap
import threading
from pathlib import Path
from typing import Any

from loglake.errors import InputError, StoreError
from loglake.ingest.manifest import stamp_of
from loglake.layout import file_map_path

MAX_LINE_READ = 64 * 1024 * 1024


class RawReader:
    """Reads raw lines of one dataset; keeps files open between lookups (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._version: Any = None
        self._stamp: tuple[int, int, int] | None = None
        self._files: dict[str, Any] = {}
        self._open: dict[str, Any] = {}

    def _entry(self, file_id: str) -> dict[str, Any]:
        stamp = stamp_of(file_map_path(self.root))
        if stamp != self._stamp:  # re-read the file map only when it was replaced
            data = load_file_map(self.root)
            if data.get("dataset_version") != self._version:
                self.close()
                self._version = data.get("dataset_version")
                self._files = data.get("files", {})
            self._stamp = stamp
        entry = self._files.get(file_id)
        if entry is None:
            raise InputError(f"unknown file_id {file_id!r}")
        return entry

    def read_line(self, file_id: str, offset: int, length: int) -> bytes:
        """The original line (without its line ending)."""
        if offset < 0 or length < 0 or length > MAX_LINE_READ:
            raise InputError("file_offset and line_length must be non-negative and bounded")
        with self._lock:
            entry = self._entry(file_id)
            handle = self._open.get(file_id)
            if handle is None:
                handle = self._open[file_id] = open_source(self.root, entry)
            if isinstance(handle, mmap.mmap):
                if offset + length > len(handle):
                    raise InputError("offset beyond the end of the source file")
                return handle[offset : offset + length]
            handle.seek(offset)
            data = handle.read(length)
            if len(data) != length:
                raise InputError("offset beyond the end of the source file")
            return data

    def close(self) -> None:
        """Close every open source."""
        for handle in self._open.values():
            handle.close()
        self._open.clear()


def source_location(root: Path, entry: dict[str, Any]) -> Path:
    """Where the bytes of a file map entry are: its managed copy, else its original path."""
    if entry.get("copy"):
        return root / entry["copy"]
    if entry.get("path"):
        return Path(entry["path"])
    raise StoreError("the source of this file was not kept")


def open_source(root: Path, entry: dict[str, Any]) -> Any:
    """A file map entry opened for reading: an mmap of a plain file, a seekable `.gz` stream."""
    location = source_location(root, entry)
    try:
        if entry.get("gzip"):
            import indexed_gzip

            index = entry.get("gz_index")
            kwargs = {"index_file": str(root / index)} if index else {}
            return indexed_gzip.IndexedGzipFile(str(location), **kwargs)
        with location.open("rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise StoreError(f"cannot open the source {location}: {exc.strerror or exc}") from None


def load_file_map(root: Path) -> dict[str, Any]:
    """The file map: `dataset_version` and `files` (file_id -> entry)."""
    path = file_map_path(root)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        raise StoreError(f"{path}: no file map; ingest something first") from None
    return data
