"""The line splitter: every line of every range exactly once, with its offset."""

from __future__ import annotations

import io
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

import loglake.sources.files as files
from loglake.sources.files import lines_in_range, split_ranges


def reference(data: bytes, max_line: int) -> list[tuple[int, bytes | None, int]]:
    out = []
    pos = 0
    segments = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        segments = segments[:-1]
    for seg in segments:
        line = seg[:-1] if seg.endswith(b"\r") else seg
        out.append((pos, line if len(line) <= max_line else None, len(line)))
        pos += len(seg) + 1
    return out


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"x")), max_size=30),
    newline_at_end=st.booleans(),
    crlf=st.booleans(),
    max_line=st.sampled_from([3, 10, 1000]),
    block=st.sampled_from([1, 2, 7, 64]),
    ranges=st.integers(1, 6),
)
def test_ranges_cover_every_line_once(parts, newline_at_end, crlf, max_line, block, ranges):
    sep = b"\r\n" if crlf else b"\n"
    data = sep.join(parts) + (sep if newline_at_end and parts else b"")
    old = files.BLOCK_BYTES
    files.BLOCK_BYTES = block
    try:
        got = []
        size = len(data)
        step = max(1, -(-size // ranges))
        for start in range(0, size, step):
            stream = io.BytesIO(data)
            stream.seek(max(0, start - 1))
            got.extend(lines_in_range(stream, start, min(start + step, size), max_line))
    finally:
        files.BLOCK_BYTES = old
    assert got == reference(data, max_line)


def test_split_ranges_cover_the_file():
    ranges = split_ranges(100, 10_000_000_000, 64 * 1024 * 1024, 2)
    assert ranges[0][0] == 100 and ranges[-1][1] == 10_000_000_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert split_ranges(0, 1000, 64 * 1024 * 1024, 2) == [(0, 1000)]
    assert split_ranges(500, 500, 10, 2) == []


def test_paths_through_symlinks_are_reported_as_given(tmp_path, run_ingest) -> None:
    from conftest import TEST_DATA

    real = tmp_path / "real"
    real.mkdir()
    log = real / "mongod.log"
    log.write_bytes((TEST_DATA / "mongod-4.4-auth.log").read_bytes())
    linked_dir = tmp_path / "linked"
    linked_dir.symlink_to(real, target_is_directory=True)
    linked_file = tmp_path / "current.log"
    linked_file.symlink_to(log)
    report = run_ingest(linked_dir)
    assert [f["path"] for f in report["files"]] == [str(linked_dir / "mongod.log")]
    assert report["files"][0]["status"] == "new"
    again = run_ingest(linked_file, log, linked_dir)  # one file, however it is named
    assert [(f["path"], f["status"]) for f in again["files"]] == [
        (str(linked_file), "already ingested")
    ]


def test_a_file_named_through_a_link_and_found_in_a_directory_counts_once(tmp_path) -> None:
    real = tmp_path / "logs"
    real.mkdir()
    (real / "a.log").write_text("x\n")
    (tmp_path / "a-link.log").symlink_to(real / "a.log")
    assert files.expand_inputs([str(real), str(tmp_path / "a-link.log")]) == [
        (real / "a.log", True)  # the first name it was given, and named explicitly
    ]
