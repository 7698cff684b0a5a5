"""A read-through block cache in front of the cold tier's object store, for DuckDB.

Every cold object is written once under a unique name and never changes, so what was read of
it can be kept: `CachedObjectFS` wraps the store's fsspec filesystem (s3fs) under the same
protocol, remembers each object's `info` and keeps the blocks read in a bounded LRU. DuckDB
(through `fs.register_filesystems`) then fetches only the byte ranges a query needs — the
footer, the row groups that survive pruning — once, in as few range requests as there are
runs of missing blocks; a repeated question costs no round trip at all. Without it every
question paid a HEAD and a GET or two per file (about 2.4 requests per file on the
loopback S3 server), which dominated cold latency.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

BLOCK_BYTES = 1024 * 1024
CACHE_BYTES = 512 * 1024 * 1024  # blocks kept per process, least recently used dropped first


class CachedObjectFS(AbstractFileSystem):  # type: ignore[misc]  # fsspec has no annotations
    """Reads of immutable objects through a block cache; everything else as the target."""

    cachable = False  # one per target, made by `cached`

    def __init__(self, target: Any, capacity: int = CACHE_BYTES) -> None:
        super().__init__(skip_instance_cache=True)
        self.target = target
        self.protocol = target.protocol
        self._capacity = capacity
        self._lock = threading.Lock()
        self._infos: dict[str, dict[str, Any]] = {}
        self._blocks: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._held = 0

    def _strip_protocol(self, path: str) -> str:  # type: ignore[override]
        return str(self.target._strip_protocol(path))

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """The object's metadata, asked once (objects never change)."""
        path = self._strip_protocol(path)
        with self._lock:
            found = self._infos.get(path)
        if found is None:
            found = self.target.info(path, **kwargs)
            with self._lock:
                self._infos[path] = found
        return found

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        """A listed object as its cached info (DuckDB globs every path it reads); anything
        else as the target lists it."""
        info = self.info(path)
        if info.get("type") == "file":
            return [info] if detail else [info["name"]]
        return self.target.ls(path, detail=detail, **kwargs)

    def modified(self, path: str) -> Any:
        """When the object was written (from its cached info)."""
        info = self.info(path)
        return info.get("LastModified") or self.target.modified(self._strip_protocol(path))

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if mode != "rb":
            raise PermissionError("the cold tier is read through this cache, never written")
        size = self.info(path)["size"]
        return _CachedFile(self, self._strip_protocol(path), size)

    def fetch(self, path: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of an object, from cached blocks and one request per run of
        missing ones."""
        size = self.info(path)["size"]
        end = min(end, size)
        if start >= end:
            return b""
        first, last = start // BLOCK_BYTES, (end - 1) // BLOCK_BYTES
        with self._lock:
            have = {}
            for n in range(first, last + 1):
                block = self._blocks.get((path, n))
                if block is not None:
                    self._blocks.move_to_end((path, n))
                    have[n] = block
        n = first
        while n <= last:
            if n in have:
                n += 1
                continue
            run_end = n
            while run_end + 1 <= last and run_end + 1 not in have:
                run_end += 1
            lo, hi = n * BLOCK_BYTES, min((run_end + 1) * BLOCK_BYTES, size)
            data = self.target.cat_file(path, start=lo, end=hi)
            for k in range(n, run_end + 1):
                have[k] = data[(k - n) * BLOCK_BYTES : (k - n + 1) * BLOCK_BYTES]
            self._keep(path, {k: have[k] for k in range(n, run_end + 1)})
            n = run_end + 1
        joined = b"".join(have[k] for k in range(first, last + 1))
        offset = start - first * BLOCK_BYTES
        return joined[offset : offset + (end - start)]

    def _keep(self, path: str, blocks: dict[int, bytes]) -> None:
        with self._lock:
            for n, block in blocks.items():
                if (path, n) not in self._blocks:
                    self._blocks[path, n] = block
                    self._held += len(block)
            while self._held > self._capacity and self._blocks:
                _, dropped = self._blocks.popitem(last=False)
                self._held -= len(dropped)


class _CachedFile(AbstractBufferedFile):  # type: ignore[misc]
    """A read-only object whose reads go through the filesystem's block cache."""

    def __init__(self, fs: CachedObjectFS, path: str, size: int) -> None:
        super().__init__(fs, path, mode="rb", block_size=BLOCK_BYTES, cache_type="none", size=size)

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.fetch(self.path, start, end)


_CACHED: dict[int, CachedObjectFS] = {}
_CACHED_LOCK = threading.Lock()


def cached(target: Any) -> CachedObjectFS:
    """The one caching filesystem of a target filesystem (so every connection shares it)."""
    with _CACHED_LOCK:
        found = _CACHED.get(id(target))
        if found is None or found.target is not target:
            found = _CACHED[id(target)] = CachedObjectFS(target)
        return found
