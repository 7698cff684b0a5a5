"""Reading an original line back by (file_id, file_offset, line_length).

Only files listed in the dataset's file map can be read: a file_id is the only handle a
caller has, never a path. Local plain files are memory-mapped (the fast path); a source
elsewhere is read through the filesystem seam (`store/fs.py`: range reads on object
storage); `.gz` and `.bz2` files are read through the seek index built during ingest, so a
lookup never decompresses from the start. `load_file_map`, `source_location` and
`open_source` are shared with search, which scans whole sources.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import tempfile
import threading
from pathlib import Path
from typing import Any

from loglake.config import is_remote
from loglake.errors import InputError, StoreError
from loglake.layout import FILE_MAP
from loglake.sources.compression import Codec, entry_codec
from loglake.store.coldraw import ColdSource
from loglake.store.fs import LakeFS, Stamp, local_path, open_location, replace_atomic

MAX_LINE_READ = 64 * 1024 * 1024


class RawReader:
    """Reads raw lines of one dataset; keeps files open between lookups (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fs = LakeFS(root)
        self._lock = threading.Lock()
        self._version: Any = None
        self._stamp: Stamp | None = None
        self._files: dict[str, Any] = {}
        self._open: dict[str, Any] = {}

    def _entry(self, file_id: str) -> dict[str, Any]:
        stamp = self._fs.stamp(FILE_MAP)
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
            if len(data) != length and isinstance(handle, ColdSource):
                raise StoreError(
                    f"the source of {file_id} cannot be opened, and this line was not archived "
                    "to the cold tier (only archived rows keep their raw lines)"
                )
            if len(data) != length:
                raise InputError("offset beyond the end of the source file")
            return data

    def close(self) -> None:
        """Close every open source."""
        for handle in self._open.values():
            handle.close()
        self._open.clear()


def source_location(root: Path, entry: dict[str, Any]) -> str:
    """Where the bytes of a file map entry are: its managed copy, else its original path."""
    if entry.get("copy"):
        return LakeFS(root).path(entry["copy"])
    if entry.get("path"):
        return str(entry["path"])
    raise StoreError("the source of this file was not kept")


def open_source(root: Path, entry: dict[str, Any]) -> Any:
    """A file map entry opened for reading: an mmap of a local plain file, else a seekable
    file object (a `.gz` one decompressing through its seek index); when the hot source is
    gone, the raw segments an archive copied to the cold tier (`store/coldraw.py`)."""
    try:
        return open_hot_source(root, entry)
    except StoreError:
        if not entry.get("cold"):
            raise
    return ColdSource(entry["cold"])


def open_hot_source(root: Path, entry: dict[str, Any]) -> Any:
    """A file map entry's own source opened for reading (StoreError when it cannot be)."""
    location = source_location(root, entry)
    local = local_path(location)
    try:
        codec = entry_codec(entry)
        if codec is not None:
            return _open_compressed(root, entry, codec, location, local)
        if local is None:
            return open_location(location)
        with local.open("rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:  # ValueError: mmap of an empty file
        raise StoreError(
            f"cannot open the source {location}: {getattr(exc, 'strerror', None) or exc}"
        ) from None


def _open_compressed(
    root: Path, entry: dict[str, Any], codec: Codec, location: str, local: Path | None
) -> Any:
    index = entry.get("gz_index")
    index_file = _local_index(root, index) if index else None
    if local is not None:
        return codec.indexed(local, index_file)
    return _RemoteCompressed(open_location(location), codec, index_file)


def _local_index(root: Path, index: str) -> Path:
    """A seek index as a local file (the index readers read a path): the one under a local
    root, or a copy of the one on object storage (keyed by its stamp: a grown file's index
    is replaced)."""
    if not is_remote(root):
        return root / index
    stamp = LakeFS(root).stamp(index)
    digest = hashlib.sha256(f"{root}/{index}/{stamp}".encode()).hexdigest()[:24]
    local = Path(tempfile.gettempdir()) / "loglake-gzidx" / f"{digest}.gzidx"
    if not local.exists():
        replace_atomic(local, LakeFS(root).read(index))
    return local


class _RemoteCompressed:
    """A compressed source read through the seam: closing it closes the remote file too."""

    def __init__(self, remote: Any, codec: Codec, index_file: Path | None) -> None:
        self._remote = remote
        self._gz = codec.indexed(remote, index_file)

    def seek(self, offset: int) -> int:
        """Move to a decompressed offset (through the seek index)."""
        return int(self._gz.seek(offset))

    def read(self, size: int = -1) -> bytes:
        """Decompressed bytes from the current offset."""
        data: bytes = self._gz.read(size)
        return data

    def close(self) -> None:
        """Close the stream and the remote file under it."""
        self._gz.close()
        self._remote.close()


def load_file_map(root: Path) -> dict[str, Any]:
    """The file map: `dataset_version` and `files` (file_id -> entry)."""
    lake = LakeFS(root)
    try:
        data: dict[str, Any] = json.loads(lake.read(FILE_MAP))
    except (OSError, ValueError):
        raise StoreError(f"{lake.path(FILE_MAP)}: no file map; ingest something first") from None
    return data
