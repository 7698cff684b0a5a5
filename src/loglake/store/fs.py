"""The filesystem seam: how the store reads and writes a dataset's files and opens sources.

Everything the store keeps under a dataset root goes through `LakeFS`, built on fsspec: the
local disk today; an object store (`s3://bucket/prefix`) plugs in with the tiers issue
without any caller changing. The operations are the ones object storage has, so nothing
relies on renaming a committed file: `publish` gives a finished file its final (unique)
name, `write_once` creates an object that must not exist yet, and `replace` swaps one small
object atomically (write, fsync, rename on local disk; a single PUT on object storage).
Sources are opened by `open_location` (any path or URL: seekable, range reads remotely);
`local_path` says when a location is a local file, which readers memory-map instead.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
from pathlib import Path
from typing import Any

Stamp = tuple[Any, ...]


class LakeFS:
    """A dataset root on some filesystem; every `rel` is a '/'-separated path under it."""

    def __init__(self, root: Path | str) -> None:
        self.root = root
        self.fs, self.base, self.local = _resolve(str(root))

    def path(self, rel: str) -> str:
        """Where `rel` is, as readers open it (local roots keep the form they were given in)."""
        if self.local:
            return str(Path(self.root) / rel)
        return str(self.fs.unstrip_protocol(f"{self.base}/{rel}"))

    def _full(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def read(self, rel: str) -> bytes:
        """The bytes of a file (FileNotFoundError when it does not exist)."""
        data: bytes = self.fs.cat_file(self._full(rel))
        return data

    def read_range(self, rel: str, start: int, end: int) -> bytes:
        """Bytes `[start, end)` of a file (one range request on object storage)."""
        data: bytes = self.fs.cat_file(self._full(rel), start=start, end=end)
        return data

    def open(self, rel: str) -> Any:
        """A file opened for reading (seekable; range requests on object storage)."""
        return self.fs.open(self._full(rel), "rb")

    def exists(self, rel: str) -> bool:
        """True when the file exists."""
        return bool(self.fs.exists(self._full(rel)))

    def stamp(self, rel: str) -> Stamp:
        """What tells a replaced file apart without reading it (all zeros when it is absent)."""
        if self.local:  # nanosecond mtime and the inode: a replace always changes one of them
            try:
                st = Path(self._full(rel)).stat()
            except FileNotFoundError:
                return (0, 0, 0)
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        try:
            info = self.fs.info(self._full(rel))
        except FileNotFoundError:
            return (0, 0, 0)
        return (str(info.get("mtime") or info.get("created")), info["size"], info.get("ETag"))

    def files(self, rel: str) -> list[str]:
        """Every file under a folder, as paths relative to the root (sorted; [] if none)."""
        prefix = self._full(rel)
        if not self.fs.exists(prefix):
            return []
        cut = len(self.base) + 1
        return sorted(str(p)[cut:] for p in self.fs.find(prefix))

    def remove(self, rel: str) -> None:
        """Delete a file (nothing happens when it is already gone)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._full(rel))

    def remove_empty_folders(self, rel: str) -> None:
        """Delete the empty folders under `rel` (object storage has no folders to delete)."""
        if not self.local:
            return
        base = Path(self._full(rel))
        if not base.is_dir():
            return
        for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()

    def write_once(self, rel: str, data: bytes) -> None:
        """Create a file that must not exist yet (FileExistsError when it does), durably."""
        target = self._full(rel)
        if not self.local:
            # a check then a PUT: the lock keeps writers apart until conditional PUTs are used
            if self.fs.exists(target):
                raise FileExistsError(target)
            self.fs.pipe_file(target, data)
            return
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with Path(target).open("xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _fsync_folder(Path(target).parent)

    def replace(self, rel: str, data: bytes) -> None:
        """Replace a file so that readers see the old or the new bytes, never a torn file."""
        if self.local:
            replace_atomic(Path(self._full(rel)), data)
        else:
            self.fs.pipe_file(self._full(rel), data)  # one PUT: atomic on object storage

    def publish(self, staged: Path, rel: str) -> None:
        """Give a finished local file its final name under the root (it leaves `staged`)."""
        if self.local:
            target = Path(self._full(rel))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                staged.replace(target)  # the same disk: a rename, no copy
            except OSError:  # another disk (a local cold root): copy, sync, then rename
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                shutil.copyfile(staged, tmp)
                with tmp.open("rb+") as f:
                    os.fsync(f.fileno())
                tmp.replace(target)
                staged.unlink()
        else:
            self.fs.put_file(str(staged), self._full(rel))
            staged.unlink()


@functools.lru_cache(maxsize=64)
def _resolve(root: str) -> tuple[Any, str, bool]:
    """The filesystem of a root, its path there, and whether it is the local disk (resolved
    once per root: a question stamps the manifest through a LakeFS every time it is asked)."""
    import fsspec  # here, not at import: `loglake --help` must stay fast
    from fsspec.implementations.local import LocalFileSystem

    from loglake.config import storage_options

    fs, base = fsspec.core.url_to_fs(root, **storage_options(root))
    return fs, base, isinstance(fs, LocalFileSystem)


def replace_atomic(path: Path, data: bytes) -> None:
    """Write a local file so that readers see the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def json_bytes(data: Any) -> bytes:
    """JSON as every file of the store is written (one-space indent, keys in their order)."""
    return json.dumps(data, indent=1, sort_keys=False).encode()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write a local JSON file atomically (summaries, answers, job status)."""
    replace_atomic(path, json_bytes(data))


def local_path(location: str) -> Path | None:
    """The local file a location names, or None when it is elsewhere (object storage, …)."""
    from fsspec.utils import get_protocol

    if get_protocol(location) != "file":
        return None
    return Path(location.removeprefix("file://"))


def open_location(location: str) -> Any:
    """A seekable binary file object of any path or URL (range requests on object storage,
    with the small read-ahead of `sources.objects.open_object`, which ingest reads with)."""
    from loglake.sources.objects import open_object

    return open_object(location)


def register_filesystems(con: Any, locations: Any) -> None:
    """Let a DuckDB connection read the locations that are not local (the cold tier on
    object storage) through fsspec: DuckDB then range-reads footers and only the row groups
    a query needs, through a block cache (`coldcache.py`), and never downloads an extension
    for them."""
    import fsspec
    from fsspec.utils import get_protocol

    from loglake.config import storage_options

    have = set(con.list_filesystems())
    for location in locations:
        protocol = get_protocol(location)
        if protocol == "file" or protocol in have:
            continue
        fs = fsspec.core.url_to_fs(location, **storage_options(location))[0]
        names = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
        if not have.intersection(names):
            from loglake.store.coldcache import cached

            con.register_filesystem(cached(fs))  # cold objects never change: cache reads
        have.update(names)
