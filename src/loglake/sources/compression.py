"""Compressed sources: which codec a file's first bytes name, and how to read it.

A compressed file is read as one stream (never cut into byte ranges) and offsets are
positions in its decompressed bytes. While ingest reads it, the codec's reader builds a
seek index, kept beside the lake (`gz_index` in the file map, for every codec), so a raw
entry reads back later without decompressing from the start:

- gzip through indexed_gzip (zran points every 4 MiB);
- bzip2 through indexed_bzip2 (bzip2 blocks are independent: the index maps each block's
  compressed bit offset to its decompressed offset). Without that package the stdlib's
  `bz2` reads the file, and a lookup decompresses from the start (correct, slower).

A new codec is one `Codec` here; nothing else branches on it.
"""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

GZIP_SPACING = 4 * 1024 * 1024


@dataclass(frozen=True)
class Codec:
    """One compression format: its magic bytes and its readers."""

    name: str
    magic: bytes
    suffix: str  # of a managed copy (--copy-source)
    index_suffix: str  # of its seek index beside the lake
    # a raw file object -> a decompressing stream that builds a seek index as it reads
    indexing: Callable[[BinaryIO], Any]
    # (stream, path): write the index a finished `indexing` stream built
    export: Callable[[Any, Path], None]
    # (local path or file object, index path or None) -> a seekable decompressed stream
    indexed: Callable[[Any, Path | None], Any]
    # a raw file object -> a plain decompressing stream (for the first lines)
    plain: Callable[[BinaryIO], BinaryIO]


# --- gzip -----------------------------------------------------------------------------------


def _gzip_indexing(raw: BinaryIO) -> Any:
    import indexed_gzip

    return indexed_gzip.IndexedGzipFile(fileobj=raw, spacing=GZIP_SPACING)


def _gzip_export(stream: Any, path: Path) -> None:
    stream.export_index(str(path))


def _gzip_indexed(source: Any, index: Path | None) -> Any:
    import indexed_gzip

    kwargs = {"index_file": str(index)} if index is not None else {}
    if isinstance(source, (str, Path)):
        return indexed_gzip.IndexedGzipFile(str(source), **kwargs)
    return indexed_gzip.IndexedGzipFile(fileobj=source, **kwargs)


def _gzip_plain(raw: BinaryIO) -> BinaryIO:
    return gzip.open(raw, "rb")  # type: ignore[return-value]


# --- bzip2 ----------------------------------------------------------------------------------


def has_indexed_bzip2() -> bool:
    """Whether the seekable bzip2 reader is installed (else the stdlib reads .bz2)."""
    try:
        import indexed_bzip2  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


def _bzip2_open(source: Any) -> Any:
    if has_indexed_bzip2():
        import indexed_bzip2

        return indexed_bzip2.open(str(source) if isinstance(source, Path) else source)
    return bz2.open(source, "rb")


def _bzip2_export(stream: Any, path: Path) -> None:
    offsets = _block_offsets(stream)
    path.write_bytes(orjson.dumps(sorted(offsets.items()) if offsets else []))


def _block_offsets(stream: Any) -> dict[int, int] | None:
    reader = getattr(getattr(stream, "raw", None), "bz2reader", None)
    if reader is None:  # the stdlib reader keeps no index: lookups decompress from the start
        return None
    return dict(reader.block_offsets())


def _bzip2_indexed(source: Any, index: Path | None) -> Any:
    stream = _bzip2_open(source)
    reader = getattr(getattr(stream, "raw", None), "bz2reader", None)
    if index is not None and reader is not None:
        pairs = orjson.loads(index.read_bytes())
        if pairs:
            reader.set_block_offsets({int(bit): int(at) for bit, at in pairs})
    return stream


def _bzip2_plain(raw: BinaryIO) -> BinaryIO:
    return bz2.open(raw, "rb")  # type: ignore[return-value]


GZIP = Codec(
    name="gzip",
    magic=b"\x1f\x8b",
    suffix=".gz",
    index_suffix=".gzidx",
    indexing=_gzip_indexing,
    export=_gzip_export,
    indexed=_gzip_indexed,
    plain=_gzip_plain,
)
BZIP2 = Codec(
    name="bzip2",
    magic=b"BZh",
    suffix=".bz2",
    index_suffix=".bz2idx",
    indexing=_bzip2_open,
    export=_bzip2_export,
    indexed=_bzip2_indexed,
    plain=_bzip2_plain,
)
CODECS = {codec.name: codec for codec in (GZIP, BZIP2)}
MAGIC_BYTES = max(len(codec.magic) for codec in CODECS.values())


def detect(magic: bytes) -> str:
    """The codec named by a file's first bytes ("" for an uncompressed file)."""
    for codec in CODECS.values():
        if magic.startswith(codec.magic):
            return codec.name
    return ""


def codec(name: str) -> Codec:
    """The codec of a name `detect` returned."""
    return CODECS[name]


def entry_codec(entry: dict[str, Any]) -> Codec | None:
    """The codec of a file map entry (lakes written before `compression` say `gzip`)."""
    name = entry.get("compression") or ("gzip" if entry.get("gzip") else "")
    return CODECS.get(name) if name else None


# what reading a broken gzip stream raises besides OSError and EOFError (bz2 raises those)
BadCompressedFile = gzip.BadGzipFile


def decompressed_head(raw: BinaryIO, name: str, max_bytes: int) -> bytes:
    """Up to `max_bytes` decompressed bytes from the start of a compressed file."""
    with codec(name).plain(raw) as stream:
        return stream.read(max_bytes)
