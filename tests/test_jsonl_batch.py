"""JSON-lines application logs: the batch (column-wise) path and the per-record parser give
the same rows, the same bad lines and the same reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import shared
from loglake.formats.applogs.jsonl_batch import JsonlBatchParser
from loglake.formats.base import FileContext
from loglake.generate.app import AppSpec, generate_app
from loglake.schema import Stream
from test_parity import assert_same_rows, both_ways


def edge_records() -> list[str]:
    """Records of several shapes, and the ones the batch path must hand over or reject."""
    rows: list[object] = []
    for n in range(40):  # one common shape, levels and statuses repeating
        rows.append({
            "ts": f"2024-06-01T10:00:{n:02d}Z", "level": ("info", "warn", "error", 30)[n % 4],
            "msg": f"request {n} ok", "rid": f"r{n}", "status": (200, 404, "500", True)[n % 4],
            "host": None if n % 3 else f"web-{n % 2}",
        })  # fmt: skip
    rows += [
        {"time": 1717236000123, "severity": "ERROR", "message": "epoch ms\n", "user_id": 7},
        {"time": "1717236001", "severity": None, "lvl": "debug", "message": "", "extra": [1]},
        {"@timestamp": "2024-06-01T10:00:00.5+02:00", "log.level": "warn", "message": "ecs"},
        {"ts": "2024-06-01 10:00:01 UTC", "level": "info", "req": {"id": "abc", "method": "get"},
         "msg": "nested names", "res": {"statusCode": 503}},
        {"ts": "not a time", "level": "info", "msg": "bad timestamp"},
        {"level": "info", "msg": "no timestamp at all"},
        {"ts": {"nested": 1}, "timestamp": "2024-06-01T10:00:02Z", "msg": "ts object skipped"},
        {"ts": "2024-06-01T10:00:03Z", "duration": "12.5ms", "method": "post", "url":
         "https://h:8/a?b=1", "bytes": 2**70, "msg": "a byte count out of range"},
        {"ts": "2024-06-01T10:00:04Z", "level": 3, "msg": "syslog level", "code": 1.0},
        {"ts": "2024-06-01T10:00:05Z", "severityNumber": 17, "body": "otel-like number"},
        {"ts": "2024-06-01T10:00:06Z", "msg": "é ☕ unicode", "level": "INFO", "userId": "ü"},
        [1, 2, 3],
        "just a string",
        {"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{"logRecords": [
            {"timeUnixNano": "1717236000000000000", "severityText": "INFO",
             "body": {"stringValue": "from an envelope"}},
            {"timeUnixNano": "1717236001000000000", "severityText": "WARN",
             "body": {"stringValue": "second record"}},
        ]}]}]},
        {"ts": "2024-06-01T10:00:07Z", "level": "info", "msg": "x" * 70_000},
    ]  # fmt: skip
    lines = [json.dumps(r) for r in rows]
    lines.insert(5, "{not json")
    lines.insert(9, "")
    return lines


def test_a_batch_reads_one_shape_as_a_table_and_hands_over_the_rest() -> None:
    lines = edge_records()
    records = [(n * 100, ln.encode(), len(ln)) for n, ln in enumerate(lines) if ln]
    got = JsonlBatchParser(FileContext(file_id="x", path="x")).parse(records)
    table = got.tables[Stream.EVENTS]
    assert table.num_rows >= 39  # the common shape, the garbage line between them aside
    offsets = table.column("file_offset").to_pylist()
    assert offsets == sorted(offsets)
    assert {reason for _o, _s, reason, _line in got.bad} == {
        "invalid_json", "bad_timestamp", "no_timestamp", "not_a_record",
    }  # fmt: skip
    rows = [r["file_offset"] for _name, r in got.rows]
    assert rows == sorted(rows)
    messages = [r["message"] for _name, r in got.rows]
    assert "from an envelope" in messages and "second record" in messages


@pytest.mark.parametrize("batch", [1, 7, 8192])
def test_parity_on_hand_made_records(tmp_path: Path, batch: int, monkeypatch) -> None:
    monkeypatch.setattr("loglake.ingest.worker.BATCH_RECORDS", batch)
    log = tmp_path / "edge.jsonl"
    log.write_text("\n".join(edge_records() * 3) + "\n")
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert report_fast["bad_lines"]["bad_timestamp"] == 3
    assert_same_rows(fast, slow)


def test_parity_on_file_name_times(tmp_path: Path) -> None:
    folder = tmp_path / "2025" / "04" / "02"
    folder.mkdir(parents=True)
    log = folder / "part.jsonl"
    lines = [json.dumps({"level": "info", "msg": f"no time {n}"}) for n in range(50)]
    lines += [json.dumps({"ts": "bad", "level": "info", "msg": "bad time"})]
    log.write_text("\n".join(lines) + "\n")
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"] == report_fast["rows"] | {"events": 50}
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert_same_rows(fast, slow)


def test_parity_on_generated_application_logs(tmp_path: Path) -> None:
    out = tmp_path / "app"
    generate_app(AppSpec(seed=5, requests=3000), out)
    logs = sorted(p for p in out.rglob("*") if p.suffix == ".jsonl" or p.name.endswith(".json.log"))
    assert logs
    for n, log in enumerate(logs):
        fast, slow, report_fast, report_slow = both_ways(tmp_path / str(n), log)
        assert report_fast["rows"] == report_slow["rows"], log.name
        assert report_fast["bad_lines"] == report_slow["bad_lines"], log.name
        assert_same_rows(fast, slow)


@pytest.mark.parametrize(
    "name", ["gharchive_log.jsonl", "logfile_otel_collector.jsonl", "logfile_ecs_log.json"]
)
def test_parity_on_real_logs(tmp_path: Path, name: str) -> None:
    log = shared("applogs", "lnav", name)
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert_same_rows(fast, slow)
