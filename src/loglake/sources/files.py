"""Where bytes come from: local files, `.gz`/`.bz2` files, directories, globs, stdin and objects.

Objects on object storage (`s3://…`, `objects.py`) are `SourceFile`s too, with a `url`:
every reader here opens a source through `open_raw`, so nothing else tells them apart.

`lines_in_range` is the one line splitter every source goes through, so offsets mean the
same thing everywhere: `file_offset` is the byte offset of a line in the (decompressed)
source and `line_length` its length without the line ending (`\\n` or `\\r\\n`).
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from loglake.errors import InputError
from loglake.sources import compression

BLOCK_BYTES = 8 * 1024 * 1024
_FINGERPRINT_BYTES = 1024 * 1024
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One input file (or object), resolved."""

    path: Path  # a local file; for an object, its key (never opened: `url` is where it is)
    size: int
    compression: str  # a codec of sources/compression.py, "" when not compressed
    mtime: float
    url: str = ""  # an object's URL (s3://bucket/key); empty for a local file
    etag: str = ""  # an object's ETag, which tells a rewritten object apart

    @property
    def compressed(self) -> bool:
        """Whether the bytes are compressed: read as one stream, offsets decompressed."""
        return bool(self.compression)

    @property
    def location(self) -> str:
        """Where the bytes are, as recorded in the file map: the URL or the local path."""
        return self.url or str(self.path)


def open_raw(source: SourceFile) -> BinaryIO:
    """The source's bytes as they are stored (compressed for .gz/.bz2), seekable."""
    if source.url:
        from loglake.sources.objects import open_object

        return open_object(source.url, source.size)
    return source.path.open("rb")


def object_source(url: str, info: dict[str, Any]) -> SourceFile:
    """A listed object as a source, before its first bytes are read (`checked_object`)."""
    from loglake.sources.objects import etag_of, mtime_of

    return SourceFile(
        path=Path(url.split("://", 1)[1]),
        size=int(info.get("size") or 0),
        compression="",
        mtime=mtime_of(info),
        url=url,
        etag=etag_of(info),
    )


def checked_object(source: SourceFile) -> SourceFile:
    """An object's source with its compression known (its first two bytes read)."""
    if source.size == 0:
        raise InputError(f"{source.url}: the object is empty")
    try:
        with open_raw(source) as f:
            magic = f.read(compression.MAGIC_BYTES)
    except PermissionError:
        raise InputError(f"{source.url}: access denied") from None
    except OSError as exc:
        raise InputError(f"{source.url}: cannot read ({exc})") from None
    return replace(source, compression=compression.detect(magic))


def expand_inputs(args: list[str]) -> list[tuple[Path, bool]]:
    """Files named by the arguments (directories recursively, glob patterns expanded).

    Each comes with whether it was named explicitly: a file found in a directory or by a
    pattern may be skipped when it is not a log; a file named on its own may not. Paths
    are absolute but keep the links the user named, one per file they resolve to.
    """
    found: list[tuple[Path, bool]] = []
    for arg in args:
        if arg == "-":
            raise InputError("stdin ('-') must be handled by the caller")
        path = Path(arg)
        if any(ch in arg for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(arg, recursive=True))  # noqa: PTH207 - absolute or relative patterns alike
            files = [p for p in matches if p.is_file()]
            if not files:
                raise InputError(f"{arg}: the pattern matched no files")
            found.extend((p, False) for p in files)
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(f"{arg}: the directory holds no files")
            found.extend((p, False) for p in files)
        elif path.is_file():
            found.append((path, True))
        elif path.exists():
            raise InputError(f"{arg}: not a regular file")
        else:
            raise InputError(f"{arg}: no such file or directory")
    unique: dict[Path, tuple[Path, bool]] = {}
    for p, explicit in found:
        key = p.resolve()
        first, named = unique.get(key, (p.absolute(), False))
        unique[key] = (first, named or explicit)
    return list(unique.values())


def open_source(path: Path) -> SourceFile:
    """Stat and check a file; an empty or unreadable file is a clear error."""
    try:
        st = path.stat()
        with path.open("rb") as f:
            magic = f.read(compression.MAGIC_BYTES)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if st.st_size == 0:
        raise InputError(f"{path}: the file is empty")
    return SourceFile(
        path=path, size=st.st_size, compression=compression.detect(magic), mtime=st.st_mtime
    )


def fingerprint(source: SourceFile, size: int, length: int | None = None) -> str:
    """A content fingerprint: blake2b of the size and the first and last MiB (or a prefix)."""
    digest = hashlib.blake2b(digest_size=16)
    limit = size if length is None else length
    digest.update(str(limit).encode())
    with open_raw(source) as f:
        digest.update(f.read(min(_FINGERPRINT_BYTES, limit)))
        if limit > 2 * _FINGERPRINT_BYTES:
            f.seek(limit - _FINGERPRINT_BYTES)
            digest.update(f.read(_FINGERPRINT_BYTES))
        elif limit > _FINGERPRINT_BYTES:
            digest.update(f.read(limit - _FINGERPRINT_BYTES))
    return digest.hexdigest()


def head_digest(source: SourceFile, length: int) -> str:
    """blake2b of a file's first 64 KiB (of its first `length` bytes): a cheap first check."""
    with open_raw(source) as f:
        return hashlib.blake2b(f.read(min(64 * 1024, length)), digest_size=16).hexdigest()


def last_line_end(source: SourceFile, size: int) -> int:
    """The offset just after the last newline of a file (0 when it has none)."""
    with open_raw(source) as f:
        end = size
        while end > 0:
            start = max(0, end - 64 * 1024)
            f.seek(start)
            chunk = f.read(end - start)
            at = chunk.rfind(b"\n")
            if at >= 0:
                return start + at + 1
            end = start
    return 0


def head_lines(source: SourceFile, start: int = 0, max_bytes: int = HEAD_BYTES) -> list[bytes]:
    """The first complete lines from `start` (decompressed for .gz/.bz2), for sniffing."""
    try:
        with open_raw(source) as f:
            if source.compressed:
                data = compression.decompressed_head(f, source.compression, max_bytes)
            else:
                f.seek(start)
                data = f.read(max_bytes)
    except (OSError, EOFError, compression.BadCompressedFile) as exc:
        raise InputError(f"{source.location}: cannot read ({exc})") from None
    lines = data.split(b"\n")
    if len(lines) > 1 and len(data) == max_bytes:
        lines.pop()  # a partial last line
    return [line.rstrip(b"\r") for line in lines]


def tail_lines(source: SourceFile, max_bytes: int = 64 * 1024) -> list[bytes]:
    """The last complete lines of a plain file (empty for a compressed one)."""
    if source.compressed:
        return []
    with open_raw(source) as f:
        f.seek(max(0, source.size - max_bytes))
        data = f.read()
    lines = data.split(b"\n")
    if source.size > max_bytes:
        lines = lines[1:]
    return [line.rstrip(b"\r") for line in lines if line.strip()]


def split_ranges(start: int, size: int, range_bytes: int, workers: int) -> list[tuple[int, int]]:
    """Byte ranges covering [start, size): enough to keep every worker busy, none tiny."""
    span = size - start
    if span <= 0:
        return []
    smallest = min(4 * 1024 * 1024, range_bytes)
    count = max(1, min(span // smallest, max(workers * 4, -(-span // range_bytes))))
    step = -(-span // count)
    return [(s, min(s + step, size)) for s in range(start, size, step)]


def open_stream(source: SourceFile, index_path: Path | None) -> tuple[BinaryIO, Callable[[], int]]:
    """A readable stream of the decompressed bytes, and a function giving input bytes read.

    For a compressed source the stream builds a seek index as it goes, exported to
    `index_path` by `finish_stream` so raw lines can later be read without decompressing
    from the start.
    """
    raw = open_raw(source)
    if not source.compressed:
        return raw, raw.tell
    codec = compression.codec(source.compression)
    return _Indexing(codec.indexing(raw), raw, codec, index_path), raw.tell  # type: ignore[return-value]


class _Indexing:
    """A decompressing stream that remembers where its seek index goes."""

    def __init__(
        self, stream: Any, raw: BinaryIO, codec: compression.Codec, index_path: Path | None
    ) -> None:
        self.stream, self.raw, self.codec, self.index_path = stream, raw, codec, index_path
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        """Decompressed bytes (InputError when the stream is damaged or cut short)."""
        try:
            data: bytes = self.stream.read(size)
        except (OSError, EOFError, RuntimeError) as exc:  # indexed_bzip2 raises RuntimeError
            name = getattr(self.raw, "name", "the source")
            where = f" after {self.done:,} decompressed bytes" if self.done else ""
            raise InputError(
                f"{name}: the {self.codec.name} stream is damaged or cut short{where} "
                f"({exc or type(exc).__name__}); copy the file again, or ingest what can "
                "be decompressed of it"
            ) from None
        self.done += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move in the decompressed bytes."""
        return int(self.stream.seek(offset, whence))

    def close(self) -> None:
        """Write the seek index (when asked for) and close both streams."""
        try:
            if self.index_path is not None:
                self.index_path.parent.mkdir(parents=True, exist_ok=True)
                self.codec.export(self.stream, self.index_path)
        finally:
            self.stream.close()
            self.raw.close()


def finish_stream(stream: BinaryIO) -> None:
    """Close a stream `open_stream` gave (a compressed one exports its seek index first)."""
    stream.close()


def lines_in_range(
    stream: BinaryIO,
    start: int,
    end: int | None,
    max_line: int,
    on_block: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, bytes | None, int]]:
    """Yield (offset, line, length) for every line starting in [start, end).

    `stream` is positioned at `start`. When `start` is not 0 the caller positions it one
    byte earlier: the partial first line (which belongs to the previous range) is dropped.
    A line longer than `max_line` is yielded as (offset, None, length) without being kept.
    Trailing `\\r` of CRLF endings is removed from the line and from its length.
    """
    for offset, block, length in blocks_in_range(stream, start, end, max_line, on_block):
        if block is None:
            yield offset, None, length
            continue
        parts = block.split(b"\n")
        if block.endswith(b"\n"):
            parts.pop()
        pos = offset
        for part in parts:
            text = part[:-1] if part[-1:] == b"\r" else part
            yield pos, (text if len(text) <= max_line else None), len(text)
            pos += len(part) + 1


def blocks_in_range(
    stream: BinaryIO,
    start: int,
    end: int | None,
    max_line: int,
    on_block: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, bytes | None, int]]:
    """Yield (offset, block, length): runs of complete lines starting in [start, end).

    The same contract as `lines_in_range`, a block at a time: each block ends at a line
    ending (or at the end of the input); a line longer than `max_line` that does not fit
    is yielded as (offset, None, length). Positioning is the caller's, as there.
    """
    pos = start - 1 if start > 0 else 0
    skip_first = start > 0
    limit = end if end is not None else float("inf")
    tail = b""
    overlong_at = -1
    overlong_report = True
    last_byte = b""
    while pos < limit or tail or overlong_at >= 0:
        chunk = stream.read(BLOCK_BYTES)
        if on_block is not None:
            on_block(len(chunk))
        if not chunk:
            break
        if overlong_at >= 0:
            cut = chunk.find(b"\n")
            if cut < 0:
                pos += len(chunk)
                last_byte = chunk[-1:]
                continue
            pos += cut
            before = chunk[cut - 1 : cut] if cut else last_byte
            if overlong_report:
                yield overlong_at, None, pos - overlong_at - (before == b"\r")
            pos += 1
            overlong_at = -1
            chunk = chunk[cut + 1 :]
            if pos >= limit:
                return
        data = tail + chunk if tail else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            tail = data
        else:
            block, tail = data[: cut + 1], data[cut + 1 :]
            if skip_first:
                first = block.find(b"\n")
                pos += first + 1
                block = block[first + 1 :]
                skip_first = False
                if pos >= limit:
                    return
            if pos + len(block) > limit:  # keep only lines that start before the limit
                keep = block.find(b"\n", max(0, int(limit) - pos - 1)) + 1
                if block:
                    yield pos, block[:keep], keep
                return
            if block:
                yield pos, block, len(block)
            pos += len(block)
            if pos >= limit:
                return
        if len(tail) > max_line + 1:
            overlong_report = not skip_first
            skip_first = False
            overlong_at = pos
            pos += len(tail)
            last_byte = tail[-1:]
            tail = b""
    if overlong_at >= 0:
        if overlong_report:
            yield overlong_at, None, pos - overlong_at - (last_byte == b"\r")
    elif tail and not skip_first and pos < limit:
        yield pos, tail, len(tail)
