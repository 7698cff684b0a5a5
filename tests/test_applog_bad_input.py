"""Bad input in application logs: truncated arrays, garbage lines, unreadable or missing
times — counted by reason, sampled, never a crash nor a lost good line; and no parser
raises on arbitrary bytes (Hypothesis)."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from hypothesis import given
from hypothesis import strategies as st

from conftest import IngestFn, query
from loglake.config import Settings
from loglake.formats.base import BadLine, FileContext, Parsed
from loglake.formats.registry import format_spec
from loglake.sources.framing import Framing, records_in_range
from loglake.store.status import dataset_status

APP_FORMATS = ("jsonl", "json-array", "logfmt", "text", "pattern")
_CTX = FileContext(
    "f", "/logs/2026-11-30/x.log", 2026, (("user", "who"),), r"(?P<ts>\S+) (?P<message>.*)"
)


def _record(n: int) -> bytes:
    return orjson.dumps({"time": 1_700_000_000_000 + n, "level": 30, "msg": f"event {n}"})


def test_a_truncated_array_keeps_every_complete_element(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    whole = b"[" + b",".join(_record(n) for n in range(50)) + b"]"
    cut = whole.index(_record(37)) + 10  # inside the 38th element
    log = tmp_path / "2026-11-30T10:00:00.000Z-batch.json"
    log.write_bytes(whole[:cut])
    report = run_ingest(log)
    assert report["files"][0]["format"] == "json-array"
    assert report["rows"]["events"] == 37
    assert report["bad_lines"] == {"total": 1, "invalid_json": 1}
    rows = query(settings.root, "events", "select message from t order by file_offset")
    assert [r[0] for r in rows] == [f"event {n}" for n in range(37)]
    samples = dataset_status(settings.root)["ingests"][-1]["bad_samples"]
    assert samples[0]["reason"] == "invalid_json"
    assert samples[0]["file_offset"] == whole.index(_record(37))


def test_array_elements_that_are_not_records(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    log = tmp_path / "batch.json"
    log.write_bytes(
        b'[\n  {"ts": 1700000000, "msg": "ok"},\n  42,\n  "text",\n  {"msg": "no time"}\n]\n'
    )
    report = run_ingest(log)
    assert report["rows"]["events"] == 1
    assert report["bad_lines"] == {"total": 3, "no_timestamp": 1, "not_a_record": 2}


def test_garbage_lines_between_good_json_lines(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    good = [_record(n) for n in range(30)]
    bad = [
        b'{"time": 1700000000000, "msg": "trunc',  # invalid_json
        b"\x00\x01\x02 binary",  # binary
        b'{"msg": "caf\xe9"}',  # not_utf8
        b'{"time": "yesterday", "msg": "x"}',  # bad_timestamp
        b'{"msg": "no time at all"}',  # no_timestamp (the file name holds none)
        b"[1, 2, 3]",  # not_a_record
    ]
    lines = good[:10] + bad + good[10:] + [b"", b"   "]
    log = tmp_path / "app.jsonl"
    log.write_bytes(b"\n".join(lines) + b"\n")
    report = run_ingest(log, fmt="jsonl")
    assert report["rows"]["events"] == 30
    assert report["bad_lines"] == {
        "total": 6,
        "bad_timestamp": 1,
        "binary": 1,
        "invalid_json": 1,
        "no_timestamp": 1,
        "not_a_record": 1,
        "not_utf8": 1,
    }
    assert report["files"][0]["blank_lines"] == 2
    rows = query(settings.root, "events", "select count(distinct message) from t")
    assert rows == [(30,)]


def test_text_lines_that_are_not_records(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    log = tmp_path / "syslog"
    log.write_bytes(
        b"a line before any record\n"
        b"Dec 10 06:55:46 host sshd[1]: ok 1\n"
        b"Feb 30 06:55:47 host sshd[1]: no such day\n"
        b"Dec 10 06:55:48 host sshd[1]: ok 2\n"
    )
    report = run_ingest(log, fmt="text")
    assert report["rows"]["events"] == 2
    assert report["bad_lines"] == {"total": 2, "bad_timestamp": 1, "other_format": 1}


_BYTES = st.binary(max_size=400)
_LINES = st.lists(
    st.one_of(
        _BYTES,
        st.sampled_from(
            [
                b'{"time": 1700000000000, "level": 30, "msg": "x"}',
                b'{"resourceLogs": [{"scopeLogs": [{"logRecords": '
                b'[{"body": {"intValue": "x"}}]}]}]}',
                b"<34>1 - - - - - -",
                b'1.2.3.4 - - [99/Foo/2019:99:99:99 +9999] "GET" 999 - "-" "-" rt=x',
                b"[Sun Dec 99 04:47:44 2005] [error] x",
                b"999999 999999 1 INFO a: b",
                b"time=x level=99 msg=",
                b"2026-13-45 99:99:99,999 - a - INFO - b\n\tat x",
            ]
        ),
    ),
    max_size=5,
)


@given(data=_BYTES)
def test_no_application_parser_raises_on_arbitrary_bytes(data: bytes) -> None:
    for name in APP_FORMATS:
        spec = format_spec(name)
        result = spec.make_parser(_CTX)(data)
        assert isinstance(result, Parsed | BadLine)
        if isinstance(result, Parsed):
            assert all(isinstance(row["ts"], int) for _stream, row in result.rows)


@given(lines=_LINES)
def test_no_sniffer_or_describer_raises(lines: list[bytes]) -> None:
    for name in APP_FORMATS:
        spec = format_spec(name)
        assert 0.0 <= spec.sniff(lines) <= 1.0
        if spec.describe is not None:
            assert isinstance(spec.describe(lines, _CTX), dict)
        for line in lines:
            assert isinstance(spec.make_parser(_CTX)(line), Parsed | BadLine)


@given(count=st.integers(0, 20), cut=st.integers(0, 2000))
def test_any_truncation_of_an_array_keeps_the_elements_before_it(count: int, cut: int) -> None:
    whole = b"[" + b",".join(_record(n) for n in range(count)) + b"]"
    data = whole[: min(cut, len(whole))]
    parse = format_spec("json-array").make_parser(_CTX)
    good = 0
    for _offset, element, _length in records_in_range(
        io.BytesIO(data), 0, None, 1 << 20, Framing.JSON_ARRAY
    ):
        result = parse(element or b"")
        good += isinstance(result, Parsed)
    complete = sum(
        1 for n in range(count) if whole.index(_record(n)) + len(_record(n)) <= len(data)
    )
    assert good == complete
