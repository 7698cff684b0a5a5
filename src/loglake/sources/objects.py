"""Sources on object storage: `s3://bucket/prefix/`, single objects and globs, through fsspec.

An argument with a URL scheme other than `file://` names objects: a prefix (every object
under it, names starting with `.` left out, as in a local directory), one object, or a glob
(`s3://bucket/logs/*.gz`, `**` for any depth). Listing returns each object's size, ETag and
modification time in one request per prefix, so an object already ingested is recognised
(key + ETag + size) without reading a byte of it. Objects are read with range requests
(`open_object`): a worker reading one byte range of a big object fetches only that range
plus a small read-ahead, and a raw line is a range read of its own.

Endpoints and credentials: `LOGLAKE_S3_ENDPOINT_URL` (`config.storage_options`) for an
S3-compatible store; the standard AWS variables, files and profiles for the rest (read by
botocore, never by loglake).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from loglake.config import storage_options
from loglake.errors import InputError

READ_AHEAD = 1024 * 1024  # bytes fetched past a read: small, so a range read stays a range
_GLOB = "*?["


def is_remote(arg: str) -> bool:
    """Whether an input names objects (a URL whose scheme is not `file`)."""
    scheme, sep, _rest = arg.partition("://")
    return bool(sep) and scheme.lower() != "file" and scheme.isidentifier()


def _fs(url: str) -> tuple[Any, str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(url, **storage_options(url))
    return fs, str(path)


def open_object(url: str, size: int | None = None) -> BinaryIO:
    """A seekable binary file object of a URL, read with range requests (`size`, when the
    listing gave it, spares the request that would ask for it)."""
    from fsspec.utils import get_protocol

    fs, path = _fs(url)
    if get_protocol(url) == "file":
        local: BinaryIO = fs.open(path, "rb")
        return local
    options: dict[str, Any] = {"block_size": READ_AHEAD, "cache_type": "readahead"}
    if size:
        options["size"] = size
    opened: BinaryIO = fs.open(path, "rb", **options)
    return opened


def list_objects(arg: str) -> list[tuple[str, dict[str, Any], bool]]:
    """The objects an argument names: (url, listing info, named explicitly), sorted by key.

    An object named on its own is explicit (it must be a log); one found under a prefix or
    by a pattern may be skipped when it is not. A name that matches nothing is a clear error.
    """
    try:
        fs, path = _fs(arg)
        fs.invalidate_cache()  # s3fs keeps listings: a later round (--watch) must see new objects
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if any(ch in path for ch in _GLOB):
            found = fs.glob(path, detail=True)
            explicit = False
            if not found:
                raise InputError(f"{arg}: the pattern matched no objects")
        else:
            try:
                info = fs.info(path)
            except FileNotFoundError:
                raise InputError(f"{arg}: no such object or prefix") from None
            if info.get("type") == "directory":
                found = fs.find(path, detail=True)
                explicit = False
                if not found:
                    raise InputError(f"{arg}: the prefix holds no objects")
            else:
                found, explicit = {path: info}, True
    except InputError:
        raise
    except PermissionError as exc:
        raise InputError(f"{arg}: access denied ({exc})") from None
    except OSError as exc:
        raise InputError(f"{arg}: cannot list ({exc})") from None
    objects = []
    for key, info in sorted(found.items()):
        name = str(key).rstrip("/").rsplit("/", 1)[-1]
        if info.get("type") == "directory" or (not explicit and name.startswith(".")):
            continue
        if str(key).endswith("/"):  # a zero-byte "folder" marker some tools create
            continue
        objects.append((f"{protocol}://{key}", info, explicit))
    if not objects:
        raise InputError(f"{arg}: no objects to read")
    return objects


def etag_of(info: dict[str, Any]) -> str:
    """An object's ETag without its quotes ('' when the store gives none)."""
    return str(info.get("ETag") or info.get("etag") or "").strip('"')


def mtime_of(info: dict[str, Any]) -> float:
    """An object's modification time as a POSIX timestamp (0 when unknown)."""
    value = info.get("LastModified") or info.get("mtime") or info.get("last_modified")
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return 0.0
