""".bz2 sources: read as one stream, the same rows as the plain file, raw entries read back
through the bzip2 block index kept beside the lake (also without indexed_bzip2)."""

from __future__ import annotations

import bz2
import json
import sys
from pathlib import Path

import pytest

from conftest import IngestFn, lines_by_offset, query, shared
from loglake.errors import InputError
from loglake.generate import GenSpec, generate, parse_size
from loglake.ingest.pipeline import ingest
from loglake.store.raw import RawReader

# every column but the file's id (offsets are in decompressed bytes, as for .gz)
ROWS = "SELECT * EXCLUDE (file_id) FROM t ORDER BY file_offset"


def _manifest_entry(root: Path) -> dict:
    manifest = json.loads((root / "manifest.json").read_text())
    (entry,) = manifest["files"].values()
    return entry


def test_pgbadgers_bz2_fixture_reads_like_the_plain_log(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    packed = shared("postgres", "pgbadger", "light.postgres.log.bz2")
    plain = tmp_path / "light.postgres.log"
    plain.write_bytes(bz2.decompress(packed.read_bytes()))
    report = run_ingest(packed)
    assert report["rows"]["slow_queries"] == 629  # pgBadger's own test expects 629
    assert report["bad_lines"]["total"] == 0
    entry = _manifest_entry(settings.root)
    assert entry["compression"] == "bzip2" and not entry["gzip"]
    assert (settings.root / entry["gz_index"]).stat().st_size > 0
    packed_rows = {s: query(settings.root, s, ROWS) for s in ("slow_queries", "events")}
    other = settings.with_options(root=tmp_path / "plain-lake")

    ingest([str(plain)], other)
    for stream, rows in packed_rows.items():
        assert rows == query(other.root, stream, ROWS), stream


@pytest.fixture
def multiblock(tmp_path: Path) -> tuple[Path, Path]:
    """A generated 3 MB mongod log and its bzip2 in 100 kB blocks (dozens of blocks)."""
    plain = tmp_path / "mongod.log"
    with plain.open("wb") as f:
        generate(GenSpec(seed=11, target_bytes=parse_size("3MB")), f)
    packed = tmp_path / "mongod.log.bz2"
    packed.write_bytes(bz2.compress(plain.read_bytes(), compresslevel=1))
    return plain, packed


def _reads_back(root: Path, packed: Path) -> int:
    lines = lines_by_offset(packed)
    rows = query(root, "events", "SELECT file_id, file_offset, line_length FROM t")
    reader = RawReader(root)
    try:
        for file_id, offset, length in rows[::-97]:  # from the end backwards: real seeks
            assert reader.read_line(file_id, offset, length) == lines[offset]
    finally:
        reader.close()
    return len(rows)


def test_a_multiblock_bz2_reads_back_every_entry_through_its_block_index(
    multiblock: tuple[Path, Path], run_ingest: IngestFn, settings
) -> None:
    plain, packed = multiblock
    report = run_ingest(packed)
    entry = _manifest_entry(settings.root)
    blocks = json.loads((settings.root / entry["gz_index"]).read_bytes())
    assert len(blocks) > 20  # one pair per block: lookups start at the block, not the file
    assert report["rows"]["events"] == plain.read_bytes().count(b"\n")
    assert _reads_back(settings.root, packed) == report["rows"]["events"]


def test_without_indexed_bzip2_the_stdlib_reads_the_same_rows(
    multiblock: tuple[Path, Path], run_ingest: IngestFn, settings, monkeypatch
) -> None:
    _plain, packed = multiblock
    run_ingest(packed)
    indexed = query(settings.root, "slow_queries", ROWS)
    monkeypatch.setitem(sys.modules, "indexed_bzip2", None)  # as if it were not installed
    other = settings.with_options(root=settings.root.parent / "stdlib-lake")

    ingest([str(packed)], other)
    assert query(other.root, "slow_queries", ROWS) == indexed
    assert json.loads((other.root / _manifest_entry(other.root)["gz_index"]).read_bytes()) == []
    assert _reads_back(other.root, packed) > 0  # decompressing from the start: slower, right


def test_a_truncated_bz2_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn, settings) -> None:
    log = tmp_path / "broken.log.bz2"
    log.write_bytes(bz2.compress(b"x" * 1000)[:20])
    with pytest.raises(InputError, match=r"broken\.log\.bz2"):
        run_ingest(log)
    assert not (settings.root / "manifest.json").exists()


def test_a_bz2_cut_short_after_its_first_blocks_is_a_clear_error_and_no_dataset(
    multiblock: tuple[Path, Path], run_ingest: IngestFn, settings
) -> None:
    _plain, packed = multiblock
    whole = packed.read_bytes()
    packed.write_bytes(whole[: len(whole) // 2])  # the first lines still decompress
    with pytest.raises(InputError, match=r"bzip2 stream is damaged or cut short"):
        run_ingest(packed)
    assert not (settings.root / "manifest.json").exists()
