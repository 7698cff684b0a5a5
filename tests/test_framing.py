"""Record framing: multi-line records read back exactly, and ranges cut anywhere cover every
record once (hypothesis), for each framing; then each framing end to end through `ingest()`."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import IngestFn, query
from loglake.config import Settings
from loglake.formats.base import (
    BadLine,
    BadReason,
    FileContext,
    FormatSpec,
    LineParser,
    Parsed,
    Priority,
    classify_garbage,
)
from loglake.formats.timestamps import IsoParser
from loglake.ingest.pipeline import ingest
from loglake.schema import Stream
from loglake.sources import files
from loglake.sources.files import lines_in_range
from loglake.sources.framing import Framing, RecordStart, can_resync, records_in_range
from loglake.store.manifest import load_manifest
from loglake.store.raw import RawReader
from test_format_registry import registered

Record = tuple[int, bytes | None, int]


def starts_with_t(line: bytes) -> bool:
    return line.startswith(b"T")


def frame(
    data: bytes,
    framing: Framing,
    record_start: RecordStart | None = None,
    start: int = 0,
    end: int | None = None,
    max_record: int = 1 << 20,
) -> list[Record]:
    """The records of one range, positioned as the worker positions its stream."""
    stream = io.BytesIO(data)
    stream.seek(max(0, start - 1))
    return list(records_in_range(stream, start, end, max_record, framing, record_start))


def in_ranges(data: bytes, cuts: list[int], framing: Framing, **options: object) -> list[Record]:
    """The records of every range between consecutive cuts, in order."""
    bounds = sorted({0, len(data), *(c for c in cuts if 0 < c < len(data))})
    got: list[Record] = []
    for start, end in itertools.pairwise(bounds):
        got.extend(frame(data, framing, start=start, end=end, **options))
    return got


@pytest.fixture
def small_blocks() -> Iterator[None]:
    old = files.BLOCK_BYTES
    files.BLOCK_BYTES = 5  # records and escapes straddle every read
    try:
        yield
    finally:
        files.BLOCK_BYTES = old


# --- files built record by record, so the expected records are known by construction ------

separators = st.sampled_from([b"\n", b"\r\n"])


@st.composite
def joined(draw: st.DrawFn, records: list[list[bytes]]) -> tuple[bytes, list[Record]]:
    """Records (lists of lines) joined with random LF/CRLF endings, and their spans."""
    data = b""
    expected: list[Record] = []
    for n, lines in enumerate(records):
        body = lines[0]
        for line in lines[1:]:
            body += draw(separators) + line
        expected.append((len(data), body, len(body)))
        data += body
        if n < len(records) - 1 or draw(st.booleans()) or not lines[-1]:  # "" needs its end
            data += draw(separators)
    return data, expected


line_text = st.text(alphabet="ab :\t", max_size=10).map(str.encode)
traces = st.lists(
    st.tuples(line_text, st.lists(line_text, max_size=3)).map(
        lambda t: [b"T" + t[0], *t[1]]  # a first line, then continuation lines
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(case=traces.flatmap(joined), block=st.sampled_from([1, 3, 64, 1 << 20]))
def test_continuation_records_are_the_lines_that_continue_a_first_line(case, block) -> None:
    data, expected = case
    old, files.BLOCK_BYTES = files.BLOCK_BYTES, block
    try:
        assert frame(data, Framing.CONTINUATION, starts_with_t) == expected
    finally:
        files.BLOCK_BYTES = old


def csv_row(n: int, fields: list[str]) -> list[bytes]:
    """A CSV row (its first field `T<n>`) as the lines it spans."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([f"T{n}", *fields])  # quotes newlines
    return out.getvalue().encode()[:-1].split(b"\n")


csv_files = st.lists(st.lists(st.text(alphabet='ab ,"\n', max_size=6), max_size=4), max_size=10)


@settings(max_examples=300, deadline=None)
@given(
    case=csv_files.map(lambda rows: [csv_row(n, r) for n, r in enumerate(rows)]).flatmap(joined),
    record_start=st.sampled_from([None, starts_with_t]),
)
def test_csv_records_end_at_line_endings_outside_quotes(case, record_start) -> None:
    data, expected = case
    assert frame(data, Framing.CSV, record_start) == expected
    parsed = [next(csv.reader([r.decode()])) for _o, r, _n in frame(data, Framing.CSV)]
    assert [row[0] for row in parsed] == [f"T{n}" for n in range(len(expected))]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet='ab"\\,[]{} \n\u00e9', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
spaces = st.sampled_from([b"", b" ", b"\n", b"\r\n", b"\t "])


@st.composite
def json_arrays(draw: st.DrawFn) -> tuple[bytes, list[Record]]:
    """A JSON array file (elements compact or indented) and its elements' spans."""
    data = draw(spaces) + b"[" + draw(spaces)
    expected: list[Record] = []
    for n, value in enumerate(draw(st.lists(json_values, max_size=8))):
        if n:
            data += draw(spaces) + b"," + draw(spaces)
        indent = draw(st.sampled_from([None, 2]))
        text = json.dumps(value, indent=indent, ensure_ascii=draw(st.booleans())).encode()
        expected.append((len(data), text, len(text)))
        data += text
    return data + draw(spaces) + b"]" + draw(spaces), expected


def truncated(data: bytes, expected: list[Record], cut: int) -> list[Record]:
    """What a JSON array file cut at `cut` holds: its complete elements, then the rest."""
    kept = [r for r in expected if r[0] + r[2] <= cut]
    partial = [r for r in expected if r[0] < cut < r[0] + r[2]]
    for offset, _record, _length in partial:
        rest = data[offset:cut].rstrip(b" \t\r\n")
        kept.append((offset, rest, len(rest)))
    return kept


@settings(max_examples=300, deadline=None)
@given(case=json_arrays(), block=st.sampled_from([1, 2, 7, 1 << 20]), cut=st.floats(0, 1))
def test_json_array_elements_read_back_exactly_and_truncation_keeps_the_complete(
    case, block, cut
) -> None:
    data, expected = case
    old, files.BLOCK_BYTES = files.BLOCK_BYTES, block
    try:
        assert frame(data, Framing.JSON_ARRAY) == expected
        for _offset, record, _length in expected:
            assert record is not None
            json.loads(record)
        at = int(cut * len(data))
        assert frame(data[:at], Framing.JSON_ARRAY) == truncated(data, expected, at)
    finally:
        files.BLOCK_BYTES = old


# --- resync: ranges cut anywhere, over any bytes ------------------------------------------

noisy = st.lists(st.sampled_from([b"T", b"a", b'"', b" ", b"\n", b"\r", b"\r\n"]), max_size=80)


@settings(max_examples=500, deadline=None)
@given(
    data=noisy.map(b"".join),
    cuts=st.lists(st.integers(0, 100), max_size=6),
    framing=st.sampled_from([Framing.LINE, Framing.CONTINUATION, Framing.CSV]),
    max_record=st.sampled_from([2, 5, 1000]),
    block=st.sampled_from([1, 3, 64]),
)
def test_ranges_cut_anywhere_cover_every_record_once(data, cuts, framing, max_record, block):
    old, files.BLOCK_BYTES = files.BLOCK_BYTES, block
    try:
        options = {"record_start": starts_with_t, "max_record": max_record}
        assert in_ranges(data, cuts, framing, **options) == frame(data, framing, **options)
    finally:
        files.BLOCK_BYTES = old


STACK_TRACE = (
    b"T1 ERROR boom\r\n\tat a.B.c(B.java:1)\r\n\tat a.B.d(B.java:2)\r\n"
    b"T2 INFO fine\n"
    b"\n"
    b"T3 ERROR again\n"
    b"Caused by: x\n"
    b"\t... 3 more"
)
CSV_LOG = (
    b'T1,"SELECT 1\nFROM t",ok\r\n'
    b'T2,"a ""quoted""\r\nword, and more",ok\n'
    b'T3,plain,"inside\nT4 quotes"\n'
)


@pytest.mark.parametrize(
    ("data", "framing"),
    [
        (STACK_TRACE, Framing.CONTINUATION),
        (CSV_LOG, Framing.CSV),
        (b"T1 a\nT2 b\n  c\nT3", Framing.CONTINUATION),
    ],
)
def test_two_ranges_cut_at_every_position(data: bytes, framing: Framing, small_blocks) -> None:
    whole = frame(data, framing, starts_with_t)
    for cut in range(len(data) + 1):
        got = in_ranges(data, [cut], framing, record_start=starts_with_t)
        assert got == whole, cut


def test_a_stack_trace_is_one_record_with_its_crlf_endings_kept() -> None:
    records = frame(STACK_TRACE, Framing.CONTINUATION, starts_with_t)
    assert [r for _o, r, _n in records] == [
        b"T1 ERROR boom\r\n\tat a.B.c(B.java:1)\r\n\tat a.B.d(B.java:2)",
        b"T2 INFO fine\n",  # the blank line after it continues it
        b"T3 ERROR again\nCaused by: x\n\t... 3 more",
    ]
    for offset, record, length in records:
        assert STACK_TRACE[offset : offset + length] == record


def test_csv_quoted_fields_hold_newlines_and_quotes() -> None:
    records = frame(CSV_LOG, Framing.CSV)
    rows = [next(csv.reader([r.decode()])) for _o, r, _n in records if r]
    assert rows == [
        ["T1", "SELECT 1\nFROM t", "ok"],
        ["T2", 'a "quoted"\r\nword, and more', "ok"],
        ["T3", "plain", "inside\nT4 quotes"],
    ]
    # a line the format says starts a record starts one, even inside quotes (so ranges agree)
    forced = frame(CSV_LOG, Framing.CSV, starts_with_t)
    assert [r for _o, r, _n in forced][2:] == [b'T3,plain,"inside', b'T4 quotes"']


def test_a_truncated_json_array_keeps_its_complete_elements(small_blocks) -> None:
    data = b'[{"a": "x]"}, [1, {"b": "\\""}], 7,\n  {"c": [tru'
    assert frame(data, Framing.JSON_ARRAY) == [
        (1, b'{"a": "x]"}', 11),
        (14, b'[1, {"b": "\\""}]', 16),
        (32, b"7", 1),
        (37, b'{"c": [tru', 10),  # the rest: one record, which no JSON parser accepts
    ]
    assert frame(b'[1, 2] trailing\n"junk"\n', Framing.JSON_ARRAY) == [
        (1, b"1", 1),
        (4, b"2", 1),
        (7, b'trailing\n"junk"', 15),
    ]
    assert frame(b'  {"one": "object"}\n', Framing.JSON_ARRAY) == [(2, b'{"one": "object"}', 17)]
    assert frame(b"[]", Framing.JSON_ARRAY) == []


def test_over_long_records_are_measured_not_kept() -> None:
    trace = b"T1 short\nT2 long\n  long continuation\nT3 short"
    assert frame(trace, Framing.CONTINUATION, starts_with_t, max_record=10) == [
        (0, b"T1 short", 8),
        (9, None, 27),
        (37, b"T3 short", 8),
    ]
    # an over-long line in a record makes the record too long (its start is unknown)
    long_line = b"T1 x\n  " + b"y" * 30 + b"\nT2 z"
    assert frame(long_line, Framing.CONTINUATION, starts_with_t, max_record=10) == [
        (0, None, 37),
        (38, b"T2 z", 4),
    ]
    rows = b'T1,"a\nlong field"\nT2,b'
    assert frame(rows, Framing.CSV, starts_with_t, max_record=8) == [
        (0, None, 17),
        (18, b"T2,b", 4),
    ]
    array = b'[{"a": "long element"}, 1]'
    assert frame(array, Framing.JSON_ARRAY, max_record=8) == [(1, None, 21), (24, b"1", 1)]


def test_line_framing_is_the_line_splitter() -> None:
    data = b"a\r\nb\n\nc"
    stream = io.BytesIO(data)
    assert frame(data, Framing.LINE) == list(lines_in_range(stream, 0, None, 100))


def test_which_framings_resync() -> None:
    assert can_resync(Framing.LINE, None)
    assert can_resync(Framing.CONTINUATION, starts_with_t)
    assert can_resync(Framing.CSV, starts_with_t)
    assert not can_resync(Framing.CSV, None)
    assert not can_resync(Framing.JSON_ARRAY, starts_with_t)


def test_a_range_that_starts_a_record_does_not_resync() -> None:
    data = b"T1 a\n  b\n  c\nT2 d"
    # where an earlier ingest of a grown file ended, an orphan continuation is kept
    stream = io.BytesIO(data)
    stream.seek(8)
    got = list(
        records_in_range(stream, 9, None, 100, Framing.CONTINUATION, starts_with_t, resync=False)
    )
    assert got == [(9, b"  c", 3), (13, b"T2 d", 4)]
    assert frame(data, Framing.CONTINUATION, starts_with_t, start=9) == [(13, b"T2 d", 4)]


# --- end to end: formats registered in the test, through ingest() -------------------------

_STAMP = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")


def _starts_with_a_stamp(line: bytes) -> bool:
    return _STAMP.match(line) is not None


def _event_parser(split: str) -> LineParser:
    """A parser of records whose text up to `split` is an ISO timestamp."""
    iso = IsoParser()

    def parse(record: bytes) -> Parsed | BadLine:
        try:
            text = record.decode()
        except UnicodeDecodeError:
            return BadLine(classify_garbage(record))
        stamp, _, message = text.partition(split)
        ts = iso(stamp.replace(" ", "T"))
        if ts is None:
            return BadLine(BadReason.BAD_TIMESTAMP)
        return Parsed([(Stream.EVENTS, {"ts": ts, "message": message})])

    return parse


def _csv_parser(_ctx: FileContext) -> LineParser:
    parse_event = _event_parser(",")

    def parse(record: bytes) -> Parsed | BadLine:
        parsed = parse_event(record)
        if isinstance(parsed, Parsed):
            _stamp, severity, message = next(csv.reader([record.decode()]))
            parsed.event.update(severity=severity, message=message)
        return parsed

    return parse


def _json_parser(_ctx: FileContext) -> LineParser:
    iso = IsoParser()

    def parse(record: bytes) -> Parsed | BadLine:
        try:
            doc = orjson.loads(record)
        except orjson.JSONDecodeError:
            return BadLine(BadReason.INVALID_JSON)
        ts = iso(doc["ts"]) if isinstance(doc, dict) and isinstance(doc.get("ts"), str) else None
        if ts is None:
            return BadLine(BadReason.NOT_A_RECORD)
        return Parsed([(Stream.EVENTS, {"ts": ts, "message": doc.get("msg")})])

    return parse


def _no_sniff(_lines: list[bytes]) -> float:
    return 0.0


TRACE = FormatSpec(
    "test-trace",
    Priority.SPECIFIC,
    _no_sniff,
    lambda _ctx: _event_parser(" "),
    framing=Framing.CONTINUATION,
    record_start=_starts_with_a_stamp,
)
CSVLOG = FormatSpec(
    "test-csvlog",
    Priority.SPECIFIC,
    _no_sniff,
    _csv_parser,
    framing=Framing.CSV,
    record_start=_starts_with_a_stamp,
)
ARRAY = FormatSpec("test-array", Priority.SPECIFIC, _no_sniff, _json_parser, Framing.JSON_ARRAY)


def trace_log(count: int) -> tuple[bytes, list[Record]]:
    records = []
    for n in range(count):
        lines = [f"2024-05-01T10:{n // 60:02d}:{n % 60:02d}.000Z ERROR failure {n}".encode()]
        lines += [f"\tat com.acme.Service.call{k}(Service.java:{k})".encode() for k in range(n % 4)]
        records.append(lines)
    data = b""
    expected: list[Record] = []
    for n, lines in enumerate(records):
        body = (b"\r\n" if n % 3 == 0 else b"\n").join(lines)
        expected.append((len(data), body, len(body)))
        data += body + b"\n"
    return data, expected


def ingest_both_ways(tmp_path: Path, log: Path, fmt: str) -> tuple[Settings, dict, dict]:
    """The log ingested by one worker in one range, and by two workers in many ranges."""
    one = Settings(root=tmp_path / "one", workers=1)
    many = Settings(root=tmp_path / "many", workers=2, range_bytes=200)
    return many, ingest([str(log)], one, fmt=fmt), ingest([str(log)], many, fmt=fmt)


def assert_rows_read_back(root: Path, expected: list[Record]) -> None:
    reader = RawReader(root)
    rows = query(root, "events", "SELECT file_id, file_offset, line_length FROM t ORDER BY 2")
    assert [(offset, length) for _id, offset, length in rows] == [(o, n) for o, _r, n in expected]
    for (file_id, offset, length), (_o, record, _n) in zip(rows, expected, strict=True):
        assert reader.read_line(file_id, offset, length) == record


def test_a_continuation_format_end_to_end(tmp_path: Path) -> None:
    data, expected = trace_log(120)
    log = tmp_path / "app-traces.log"
    log.write_bytes(data)
    with registered(TRACE):
        many, one_report, many_report = ingest_both_ways(tmp_path, log, "test-trace")
    for report in (one_report, many_report):
        assert report["rows"]["events"] == 120
        assert report["bad_lines"] == {"total": 0}
        assert report["files"][0]["lines"] == 120  # records, whatever lines they span
    tasks = {rel.rsplit("-", 1)[1] for rel in load_manifest(many.root)["artifacts"]}
    assert len(tasks) > 4  # cut into many ranges
    assert_rows_read_back(many.root, expected)
    messages = query(many.root, "events", "SELECT message FROM t ORDER BY file_offset LIMIT 2")
    assert messages == [
        ("ERROR failure 0",),
        ("ERROR failure 1\n\tat com.acme.Service.call0(Service.java:0)",),
    ]


def test_a_csv_format_end_to_end(tmp_path: Path) -> None:
    rows = [
        [f"2024-05-01 10:00:{n:02d}.000Z", "LOG", f'statement {n}\nFROM "t"\r\nWHERE x = {n}']
        for n in range(40)
    ]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    data = b""
    expected: list[Record] = []
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow(row)
        body = out.getvalue().encode()[:-1]
        expected.append((len(data), body, len(body)))
        data += body + b"\n"
    log = tmp_path / "postgresql.csv"
    log.write_bytes(data)
    with registered(CSVLOG):
        many, _one, report = ingest_both_ways(tmp_path, log, "test-csvlog")
    assert report["rows"]["events"] == 40
    assert report["bad_lines"] == {"total": 0}
    assert_rows_read_back(many.root, expected)
    messages = query(many.root, "events", "SELECT message FROM t ORDER BY file_offset")
    assert [m for (m,) in messages] == [row[2] for row in rows]


def test_a_json_array_format_end_to_end(tmp_path: Path, run_ingest: IngestFn, settings) -> None:
    docs = [{"ts": f"2024-05-01T10:00:{n:02d}.000Z", "msg": f"answer {n}"} for n in range(30)]
    text = json.dumps(docs, indent=2).encode()
    elements = [json.dumps(doc, indent=2).replace("\n", "\n  ").encode() for doc in docs]
    expected: list[Record] = []
    for element in elements:
        at = text.index(element, expected[-1][0] + 1 if expected else 0)
        expected.append((at, element, len(element)))
    cut = text.rindex(b'"msg"')  # the last element loses its end
    log = tmp_path / "answers.json"
    log.write_bytes(text[:cut])
    with registered(ARRAY):
        report = run_ingest(log, fmt="test-array", range_bytes=100)
    assert report["rows"]["events"] == 29
    assert report["bad_lines"] == {"total": 1, "invalid_json": 1}
    (sample,) = load_manifest(settings.root)["ingests"][-1]["bad_samples"]
    assert sample["file_offset"] == expected[-1][0]
    tasks = {rel.rsplit("-", 1)[1] for rel in load_manifest(settings.root)["artifacts"]}
    assert tasks == {"00000.parquet"}  # an array cannot be cut into ranges
    assert_rows_read_back(settings.root, expected[:-1])
