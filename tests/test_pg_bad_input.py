"""Bad PostgreSQL input: several prefixes in one file, truncated multi-line entries,
non-English `lc_messages` lines, binary junk -> counted bad lines with reasons, every good
entry kept, no parser raising on any bytes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import IngestFn, query
from loglake.formats.base import BadLine, FileContext, Parsed
from loglake.formats.postgres import csvlog, jsonlog, stderr

MIXED = [
    b"\tFROM t  -- the rest of an entry that began before this file",
    b"2024-03-01 10:00:00 UTC [11]: [1-1] user=a,db=d,app=x,client=1.2.3.4 "
    b"DETAIL:  parameters: $1 = '5'",
    b"2024-03-01 10:00:01.000 UTC [11] LOG:  duration: 1.0 ms  statement: SELECT 1",
    b"2024-03-01 10:00:02 UTC [12]: [2-1] user=a,db=d,app=x,client=1.2.3.4 "
    b"LOG:  duration: 2.0 ms  statement: SELECT 2",
    b"2024-03-01 10:00:03 UTC:10.0.0.1(5000):a@d:[13]:LOG:  duration: 3.0 ms  statement: SELECT 3",
    "2024-03-01 10:00:04.000 CET [14] FEHLER:  Relation »x« existiert nicht".encode(),
    b"2024-03-01 10:00:04.000 CET [14] ANWEISUNG:  SELECT * FROM x",
    b"\x00\x01\x02garbage\xff\xfe",
    b"2024-03-01 10:00:05.000 UTC [15] LOG:  duration: 5.0 ms  statement: SELECT a,",
    b"\tb FROM t WHERE c = 'cut off here",
]  # fmt: skip


def test_several_prefixes_and_junk_in_one_file(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    log = tmp_path / "mixed.log"
    log.write_bytes(b"\n".join(MIXED))
    report = run_ingest(log)
    (entry,) = report["files"]
    assert entry["format"] == "postgres-stderr"
    # the orphan continuation + DETAIL (one record), the two German lines, the junk
    assert report["bad_lines"] == {"total": 4, "orphan_line": 1, "not_english": 2, "binary": 1}
    assert entry["lines"] == entry["events"] + entry["bad_lines"] == 8
    rows = query(
        settings.root, "slow_queries", "SELECT duration_ms, user, statement FROM t ORDER BY ts"
    )
    assert rows == [
        (1.0, None, "SELECT 1"),
        (2.0, "a", "SELECT 2"),
        (3.0, "a", "SELECT 3"),
        (5.0, None, "SELECT a,\nb FROM t WHERE c = 'cut off here"),  # truncated: kept as logged
    ]


def test_offsets_of_good_and_bad_records_cover_the_file(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    log = tmp_path / "mixed.log"
    data = b"\n".join(MIXED)
    log.write_bytes(data)
    run_ingest(log)
    spans = query(settings.root, "events", "SELECT file_offset, line_length FROM t")
    from loglake.store.manifest import load_manifest

    manifest = load_manifest(settings.root)
    samples = [
        (s["file_offset"], s["line_length"])
        for i in manifest["ingests"]
        for s in i.get("bad_samples", [])
    ]
    covered = sorted(spans + samples)
    position = 0
    for offset, length in covered:  # records follow one another, each line in exactly one
        assert offset == position
        position = offset + length + 1
    assert position == len(data) + 1


def test_a_truncated_csv_row_is_one_bad_line(
    tmp_path: Path, run_ingest: IngestFn, settings
) -> None:
    good = (
        '2024-03-01 10:00:00.000 UTC,"a","d",11,"1.2.3.4:5000",65e1a7c0.b,1,"SELECT",'
        '2024-03-01 09:00:00 UTC,3/1,0,LOG,00000,"duration: 1.5 ms  statement: SELECT 1",'
        ',,,,,,,,"psql","client backend",,0'
    )
    cut = good.split('"duration', 1)[0] + '"duration: 2.5 ms  statement: SELECT\n  unfinished'
    log = tmp_path / "cut.csv"
    log.write_text(good + "\n" + good.replace("10:00:00.000", "10:00:01.000") + "\n" + cut)
    report = run_ingest(log)
    assert report["files"][0]["format"] == "postgres-csvlog"
    assert report["rows"]["slow_queries"] == 2 and report["bad_lines"]["total"] == 1


CTX = FileContext("f", "f", 2024)


@given(st.binary(max_size=400))
def test_no_parser_raises_on_arbitrary_bytes(data: bytes) -> None:
    for spec in (stderr, csvlog, jsonlog):
        parse = spec.make_parser(CTX)
        got = parse(data)
        assert isinstance(got, (Parsed, BadLine))


LOGLIKE = st.lists(
    st.sampled_from(
        [
            b"2024-03-01 10:00:00.000 UTC [1] LOG:  ",
            b"duration: ",
            b"1.5 ms  ",
            b"statement: ",
            b"execute S_1: ",
            b'plan:\n\t{"Plan": {"Node Type": ',
            b"\tSeq Scan on t  (cost=0.00..1.00 rows=",
            b"DETAIL:  parameters: $1 = '",
            b"connection received: host=",
            b"checkpoint complete: wrote ",
            b'automatic vacuum of table "',
            b"process 1 still waiting for ",
            b"SELECT * FROM t WHERE a = ",
            b"'",
            b"\n",
            b"\x00",
            "é".encode(),
        ]
    ),
    max_size=30,
).map(b"".join)


@given(LOGLIKE)
def test_no_parser_raises_on_log_like_fragments(data: bytes) -> None:
    for spec in (stderr, csvlog, jsonlog):
        got = spec.make_parser(CTX)(data)
        assert isinstance(got, (Parsed, BadLine))
