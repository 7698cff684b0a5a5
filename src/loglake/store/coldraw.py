"""The raw lines of archived rows on the cold tier: compressed segments with an offset index.

`loglake archive` moves rows to the cold root; their `(file_id, file_offset, line_length)`
must keep reading the original line after the hot source is deleted. So the archive also
copies the source's bytes those rows point at: for each source, the prefix `[0, end)` up to
the end of its last archived row, written as one object per archive (the part beyond what
earlier archives copied), each a run of independent zstd frames of `FRAME_BYTES` of the
source. The offset index (`frames`: `[source_offset, object_offset, compressed_bytes]`) is
kept in the manifest's entry of the source (`files.<id>.cold`), committed with the rows.
A lookup range-reads and decompresses the one or two frames holding a line; offsets stay the
source's, so rows need no rewriting. `ColdSource` is a seekable reader over those segments,
used by detail and search when the hot source cannot be opened.
"""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path
from typing import Any

from loglake.store.fs import LakeFS

FRAME_BYTES = 4 * 1024 * 1024  # source bytes per zstd frame: one line lookup reads one frame


def _codec() -> Any:
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=3)


def _read(handle: Any, offset: int, size: int) -> bytes:
    if isinstance(handle, mmap.mmap):
        return handle[offset : offset + size]
    handle.seek(offset)
    data: bytes = handle.read(size)
    return data


def write_segment(handle: Any, start: int, end: int, target: Path) -> dict[str, Any]:
    """Compress bytes `[start, end)` of an open source into zstd frames in the local file
    `target`; the segment's entry: its span, frame index, size and sha256 (short of `end`
    when the source is shorter)."""
    codec = _codec()
    frames: list[list[int]] = []
    digest = hashlib.sha256()
    written = 0
    pos = start
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while pos < end:
            data = _read(handle, pos, min(FRAME_BYTES, end - pos))
            if not data:
                break
            packed = codec.compress(data, asbytes=True)
            out.write(packed)
            digest.update(packed)
            frames.append([pos, written, len(packed)])
            written += len(packed)
            pos += len(data)
    return {
        "start": start,
        "end": pos,
        "frames": frames,
        "bytes": written,
        "sha256": digest.hexdigest(),
    }


class ColdSource:
    """A seekable reader of a source's archived bytes (`seek`, `read`, `close`): reads past
    the archived end return nothing, as at the end of a file."""

    def __init__(self, cold: dict[str, Any]) -> None:
        self._lake = LakeFS(cold["root"])
        # (source start, source end, object path, object offset, compressed bytes)
        self._frames: list[tuple[int, int, str, int, int]] = []
        for seg in cold["segments"]:
            starts = [f[0] for f in seg["frames"]] + [seg["end"]]
            for (src, off, size), stop in zip(seg["frames"], starts[1:], strict=True):
                self._frames.append((src, stop, seg["path"], off, size))
        self._frames.sort()
        self.end = self._frames[-1][1] if self._frames else 0
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self._codec = _codec()

    def _frame(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        src, stop, path, off, size = self._frames[index]
        packed = self._lake.read_range(path, off, off + size)
        data: bytes = self._codec.decompress(packed, decompressed_size=stop - src, asbytes=True)
        self._cached = (index, data)
        return data

    def _find(self, offset: int) -> int:
        lo, hi = 0, len(self._frames)
        while lo < hi:  # the last frame starting at or before offset
            mid = (lo + hi) // 2
            if self._frames[mid][0] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    def seek(self, offset: int) -> int:
        """Move to a source offset."""
        self._pos = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        """Source bytes from the current offset (fewer at the archived end)."""
        stop = self.end if size < 0 else min(self.end, self._pos + size)
        parts = []
        while self._pos < stop:
            index = self._find(self._pos)
            if index < 0 or self._frames[index][1] <= self._pos:
                break  # a gap: nothing archived here
            src, frame_end = self._frames[index][:2]
            data = self._frame(index)
            take = min(stop, frame_end) - self._pos
            parts.append(data[self._pos - src : self._pos - src + take])
            self._pos += take
        return b"".join(parts)

    def close(self) -> None:
        """Nothing stays open between reads."""
        self._cached = None
