"""Bad input: counted by reason, sampled, never a crash, never a good line lost."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from conftest import TEST_DATA, IngestFn, query
from loglake.errors import InputError
from loglake.formats.base import BadLine, FileContext, Parsed
from loglake.formats.mongodb.json_line import make_parser
from loglake.store.raw import RawReader

GOOD = [
    line for line in (TEST_DATA / "mongod-6.0-setup.log").read_bytes().split(b"\n") if line.strip()
]


def faulty_log() -> tuple[bytes, dict[str, int], int, int]:
    """Real lines with every kind of fault mixed in: (bytes, bad by reason, good, blank)."""
    out: list[bytes] = []
    bad = {"invalid_json": 0, "binary": 0, "other_format": 0, "not_a_record": 0, "not_utf8": 0}
    blank = 0
    for i, line in enumerate(GOOD):
        out.append(line + (b"\r" if i % 7 == 0 else b""))  # some CRLF endings
        if i % 20 == 3:
            out.append(line[: len(line) // 2])  # a truncated write
            bad["invalid_json"] += 1
        if i % 30 == 5:
            out.append(b"\x00" * 64)  # NUL run, as left by a crash
            bad["binary"] += 1
        if i % 40 == 7:
            out.append(bytes(b for b in range(256) if b != 10))  # binary garbage
            bad["binary"] += 1
        if i % 25 == 9:
            out.append(
                b"2019-06-01T10:00:00.123+0000 I COMMAND  [conn12] command db.coll "
                b'command: find { find: "c" } planSummary: COLLSCAN 1234ms'
            )
            bad["other_format"] += 1
        if i % 50 == 11:
            out.append(b'{"s":"I","msg":"no timestamp"}')
            bad["not_a_record"] += 1
        if i % 45 == 13:
            out.append(b"caf\xc3 \xff\xfe latin-1 text")
            bad["not_utf8"] += 1
        if i % 10 == 2:
            out.append(b"")
            blank += 1
        if i % 33 == 1:
            out.append(b"   \t ")
            blank += 1
    return b"\n".join(out) + b"\n", bad, len(GOOD), blank


def test_faults_are_counted_and_good_lines_kept(tmp_path: Path, run_ingest: IngestFn, settings):
    data, bad, good, blank = faulty_log()
    log = tmp_path / "mongod-6.0-faults.log"
    log.write_bytes(data)
    report = run_ingest(log, range_bytes=4096)  # many ranges: faults near range borders
    assert report["rows"]["events"] == good
    expected_bad = {k: v for k, v in bad.items() if v}
    assert report["bad_lines"] == {"total": sum(bad.values()), **dict(sorted(expected_bad.items()))}
    assert report["files"][0]["blank_lines"] == blank
    # every good line is there, and reads back byte for byte (CR removed)
    reader = RawReader(settings.root)
    rows = query(settings.root, "events", "SELECT file_id, file_offset, line_length FROM t")
    got = sorted(reader.read_line(*row) for row in rows)
    assert got == sorted(GOOD)
    # the report keeps samples of each reason
    from loglake.store.manifest import load_manifest

    samples = load_manifest(settings.root)["ingests"][-1]["bad_samples"]
    assert {s["reason"] for s in samples} == set(expected_bad)
    for s in samples:
        assert reader.read_line(s["file_id"], s["file_offset"], s["line_length"]).startswith(
            s["preview"][:10].encode("utf-8", "ignore")[:0]
        )


def test_lines_of_several_megabytes_are_valid(tmp_path: Path, run_ingest: IngestFn, settings):
    big_docs = ",".join(f'{{"_id":{i},"pad":"{"x" * 90}"}}' for i in range(40_000))
    huge = (
        '{"t":{"$date":"2024-01-01T00:00:00.000+00:00"},"s":"I",  "c":"COMMAND",  "id":51803,'
        '   "ctx":"conn1","msg":"Slow query","attr":{"type":"command","ns":"db.c",'
        f'"command":{{"insert":"c","documents":[{big_docs}]}},"ninserted":40000,'
        '"durationMillis":900}}'
    ).encode()
    assert len(huge) > 4 * 1024 * 1024
    log = tmp_path / "huge-line.log"
    log.write_bytes(GOOD[0] + b"\r\n" + huge + b"\r\n" + GOOD[1] + b"\n")
    report = run_ingest(log, range_bytes=1024 * 1024)
    assert report["rows"]["events"] == 3
    assert report["rows"]["slow_queries"] == 1
    (length,) = query(settings.root, "slow_queries", "SELECT line_length FROM t")[0]
    assert length == len(huge)


def test_too_long_lines_are_bad_lines_not_crashes(tmp_path: Path, run_ingest: IngestFn):
    log = tmp_path / "overlong.log"
    log.write_bytes(GOOD[0] + b"\n" + b"{" + b"a" * 5000 + b"\n" + GOOD[1] + b"\n")
    report = run_ingest(log, max_line_bytes=1000)
    assert report["rows"]["events"] == 2
    assert report["bad_lines"] == {"total": 1, "too_long": 1}


def test_last_line_without_newline_is_kept(tmp_path: Path, run_ingest: IngestFn):
    log = tmp_path / "truncated-last-line.log"
    log.write_bytes(b"\n".join(GOOD[:10]))
    assert run_ingest(log)["rows"]["events"] == 10


def test_empty_file_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn):
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        run_ingest(log)


def test_blank_only_file_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn):
    log = tmp_path / "blank.log"
    log.write_bytes(b"\n\n   \n")
    with pytest.raises(InputError, match="no log lines"):
        run_ingest(log)


def test_unreadable_file_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn):
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        run_ingest(fifo)


def test_missing_file_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn):
    with pytest.raises(InputError, match="no such file"):
        run_ingest(tmp_path / "nope.log")


def test_garbage_only_file_fails_without_committing(tmp_path: Path, run_ingest: IngestFn, settings):
    log = tmp_path / "garbage.log"
    log.write_bytes(b"{not json\n" * 100)
    with pytest.raises(InputError, match="no log lines could be read"):
        run_ingest(log, fmt="mongodb")
    assert not (settings.root / "manifest.json").exists()
    assert not any((settings.root / ".staging").iterdir())  # nothing left behind
    assert not (settings.root / ".ingest.lock").exists()


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path, run_ingest: IngestFn):
    log = tmp_path / "broken.log.gz"
    log.write_bytes(gzip.compress(b"\n".join(GOOD))[:200])
    with pytest.raises(InputError):
        run_ingest(log)


@hsettings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parser_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse = make_parser(FileContext(file_id="x", path="x"))
    result = parse(data)
    assert isinstance(result, Parsed | BadLine)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@hsettings(max_examples=300, deadline=None)
@given(
    st.sampled_from([51803, 20249, 20250, 5286306, 5286307, 22943, 22944, 51800, 1]),
    json_values,
)
def test_parser_never_raises_on_odd_attributes(msg_id: int, attr: object) -> None:
    import orjson

    line = orjson.dumps(
        {
            "t": {"$date": "2024-01-01T00:00:00.000Z"},
            "s": "I",
            "c": "X",
            "id": msg_id,
            "ctx": "conn1",
            "msg": "m",
            "attr": attr,
        }
    )
    result = make_parser(FileContext(file_id="x", path="x"))(line)
    assert isinstance(result, Parsed)


def test_lines_only_pythons_json_accepts_are_kept(tmp_path: Path, run_ingest: IngestFn, settings):
    # integers beyond 64 bits and NaN are refused by the fast parsers but are JSON to Python
    head = '{"t":{"$date":"2024-01-01T00:00:0%d.000Z"},"s":"I","c":"COMMAND","id":%d,"ctx":"conn1"'
    lines = [
        head % (1, 51803) + ',"msg":"Slow query","attr":{"ns":"a.b","cursorid":'
        '123456789012345678901234,"durationMillis":7,"command":{"find":"b"}}}',
        head % (2, 51803) + ',"msg":"Slow query","attr":{"ns":"a.b","durationMillis":NaN}}',
        head % (3, 12345) + ',"msg":"x","attr":{"big":99999999999999999999999}}',
    ]
    log = tmp_path / "odd-numbers.log"
    log.write_text("\n".join(lines) + "\n")
    report = run_ingest(log)
    assert report["rows"]["events"] == 3
    assert report["rows"]["slow_queries"] == 2
    assert report["bad_lines"] == {"total": 0}
    durations = [
        r[0] for r in query(settings.root, "slow_queries", "SELECT duration_ms FROM t ORDER BY ts")
    ]
    assert durations[0] == 7
