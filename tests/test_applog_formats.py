"""JSON application logs (jsonl, JSON arrays): lnav's real samples, sniffing beside the
database formats, field detection and `--map`, times from file names."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from conftest import TEST_DATA, IngestFn, query, read_source, shared
from loglake.config import Settings
from loglake.errors import ConfigError
from loglake.formats.applogs.fields import parse_map
from loglake.formats.levels import app_level, otel_level, pino_level, syslog_level, word_level
from loglake.formats.registry import format_names, format_spec, sniff_format
from loglake.sources.files import head_lines, open_source
from loglake.store.status import dataset_status

LNAV = ("applogs", "lnav")


def _head(path: Path) -> list[bytes]:
    return [line for line in head_lines(open_source(path)) if line.strip()][:50]


def _us(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000)


def _events(settings: Settings, columns: str, where: str = "true") -> list[tuple]:
    return query(
        settings.root, "events", f"select {columns} from t where {where} order by file_offset, ts"
    )


def test_the_application_formats_are_registered() -> None:
    assert {"jsonl"} <= set(format_names())


def test_levels_are_normalized_from_words_and_numbers() -> None:
    assert [pino_level(n) for n in (10, 20, 30, 40, 50, 60, 35)] == [
        "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "INFO",
    ]  # fmt: skip
    assert [app_level(v) for v in ("warning", "CRITICAL", "err", 50, "30", "bogus")] == [
        "WARN", "FATAL", "ERROR", "ERROR", "INFO", None,
    ]  # fmt: skip
    assert [otel_level(n) for n in (1, 5, 9, 13, 17, 21, 25)] == [
        "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", None,
    ]  # fmt: skip
    assert [syslog_level(n) for n in range(8)] == [
        "FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG",
    ]  # fmt: skip
    assert word_level("Information") == "INFO"


def test_bunyan_sample_every_line_with_its_time_level_source_and_host(
    settings: Settings, run_ingest: IngestFn
) -> None:
    path = shared(*LNAV, "logfile_bunyan.0")
    truth = [json.loads(line) for line in read_source(path).splitlines() if line.strip()]
    report = run_ingest(path)
    assert report["files"][0]["format"] == "jsonl"
    assert report["files"][0]["fields"] == {
        "ts": "time",
        "level": "level",
        "message": "msg",
        "component": "name",
        "host": "hostname",
    }
    rows = _events(settings, "epoch_us(ts), level, severity, component, host, message, attrs")
    assert len(rows) == len(truth) == report["rows"]["events"]
    levels = {20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR"}
    for row, doc in zip(rows, truth, strict=True):
        assert row[0] == _us(doc["time"])
        assert row[1:6] == (
            levels[doc["level"]],
            str(doc["level"]),
            doc["name"],
            doc["hostname"],
            doc["msg"],
        )
        used = ("time", "level", "name", "hostname", "msg")
        rest = {k: v for k, v in doc.items() if k not in used}
        assert json.loads(row[6]) == rest  # every other field, nested objects kept


def test_ecs_sample_reads_flat_and_nested_dotted_fields(
    settings: Settings, run_ingest: IngestFn
) -> None:
    path = shared(*LNAV, "logfile_ecs_log.json")
    truth = [json.loads(line) for line in read_source(path).splitlines() if line.strip()]
    run_ingest(path)
    rows = _events(settings, "epoch_us(ts), level, severity, component, message, context, attrs")
    assert len(rows) == len(truth)
    for row, doc in zip(rows, truth, strict=True):
        assert row[0] == _us(doc["@timestamp"])
        assert row[2] == doc["log.level"]
        assert row[1] == {"warning": "WARN", "critical": "FATAL"}.get(
            doc["log.level"], doc["log.level"].upper()
        )
        assert row[3:6] == (doc["log"]["logger"], doc["message"], "MainThread")
        attrs = json.loads(row[6])
        assert "logger" not in attrs["log"] and attrs["log"]["origin"] == doc["log"]["origin"]
        assert attrs["ecs.version"] == doc["ecs.version"]


def _otel_records(path: Path) -> list[tuple[dict, dict]]:
    out = []
    for line in read_source(path).splitlines():
        for resource_logs in json.loads(line)["resourceLogs"]:
            resource = {
                a["key"]: a["value"]["stringValue"]
                for a in resource_logs["resource"].get("attributes", [])
            }
            for scope_logs in resource_logs["scopeLogs"]:
                out.extend((resource, r) for r in scope_logs["logRecords"])
    return out


def test_opentelemetry_envelopes_give_one_event_per_log_record(
    settings: Settings, run_ingest: IngestFn
) -> None:
    path = shared(*LNAV, "logfile_otel_collector.jsonl")
    truth = _otel_records(path)
    report = run_ingest(path)
    assert report["rows"]["events"] == len(truth) == 11
    rows = _events(settings, "epoch_us(ts), level, component, host, request_id, message")
    for row, (resource, record) in zip(rows, truth, strict=True):
        assert row[0] == int(record["timeUnixNano"]) // 1000
        number = record.get("severityNumber")
        assert row[1] == (otel_level(number) if number else None)
        assert row[2:6] == (
            resource.get("service.name"),
            resource.get("host.name"),
            record.get("traceId"),
            record["body"]["stringValue"],
        )


def test_gharchive_lines_land_and_map_names_the_user_field(
    settings: Settings, run_ingest: IngestFn
) -> None:
    path = shared(*LNAV, "gharchive_log.jsonl")
    truth = [json.loads(line) for line in read_source(path).splitlines() if line.strip()]
    report = run_ingest(path, field_map="user=actor.login,message=type")
    assert report["bad_lines"]["total"] == 0
    fields = {"ts": "created_at", "message": "type", "user": "actor.login"}
    assert report["files"][0]["fields"] == fields
    rows = _events(settings, "epoch_us(ts), user, message, attrs")
    assert [r[:3] for r in rows] == [
        (_us(d["created_at"]), d["actor"]["login"], d["type"]) for d in truth
    ]
    attrs = json.loads(rows[0][3])
    assert "login" not in attrs["actor"] and attrs["actor"]["id"] == truth[0]["actor"]["id"]
    status = dataset_status(settings.root)
    assert status["files"][0]["fields"]["user"] == "actor.login"


def test_a_mapping_file_and_bad_maps() -> None:
    assert parse_map("ts=when, source=svc") == (("ts", "when"), ("component", "svc"))
    with pytest.raises(ConfigError, match="unknown column 'colour'"):
        parse_map("colour=red")
    with pytest.raises(ConfigError, match="COLUMN=FIELD"):
        parse_map("ts")


def test_mapping_file(tmp_path: Path, settings: Settings, run_ingest: IngestFn) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("ts: when\nuser: who.name\nlevel: sev\n")
    log = tmp_path / "custom.jsonl"
    docs = [
        {"when": 1_700_000_000_000 + n, "who": {"name": f"u{n % 3}"}, "sev": "E", "msg": "x"}
        for n in range(9)
    ]
    log.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    run_ingest(log, field_map=str(mapping))
    rows = _events(settings, "epoch_us(ts), user, level")
    assert rows == [((1_700_000_000_000 + n) * 1000, f"u{n % 3}", "ERROR") for n in range(9)]


@pytest.mark.parametrize("name", ["sanket-4.4.3.log", "edutask-8.2.7.log"])
def test_mongodb_json_logs_still_sniff_as_mongodb(name: str) -> None:
    path = shared("mongodb", "json", name)
    assert sniff_format(_head(path), str(path)).name == "mongodb"


def test_mongodb_test_logs_still_sniff_as_mongodb() -> None:
    for path in sorted(TEST_DATA.glob("mongod-*.log")):
        assert sniff_format(_head(path), str(path)).name.startswith("mongodb"), path


@pytest.mark.parametrize(
    "parts", [("postgres", "pgweasel", "pgbench.json"), ("postgres", "dexter", "queries.json")]
)
def test_postgresql_json_logs_are_not_claimed_by_jsonl(parts: tuple[str, ...]) -> None:
    path = shared(*parts)
    postgres = [name for name in format_names() if name.startswith("postgres")]
    if not postgres:
        pytest.skip("no PostgreSQL format is registered on this branch yet")
    assert sniff_format(_head(path), str(path)).name in postgres


def test_times_from_the_file_name_or_a_bad_line_no_timestamp(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    named = tmp_path / "2025-04-01T18:28:18.671Z-batch.jsonl"
    dated = tmp_path / "2025" / "04" / "02" / "part.jsonl"
    dated.parent.mkdir(parents=True)
    plain = tmp_path / "plain.jsonl"
    for n, path in enumerate((named, dated, plain)):  # different content: three files
        path.write_bytes(
            b'{"msg": "no time here", "level": "info"}\n'
            + b'{"msg": "timed", "time": 1700000000, "n": %d}\n' % n
        )
    report = run_ingest(named, dated, plain)
    assert report["bad_lines"] == {"total": 1, "no_timestamp": 1}
    rows = query(settings.root, "events", "select epoch_us(ts), message from t order by all")
    assert rows == [
        (1_700_000_000_000_000, "timed"),
        (1_700_000_000_000_000, "timed"),
        (1_700_000_000_000_000, "timed"),
        (_us("2025-04-01T18:28:18.671Z"), "no time here"),
        (_us("2025-04-02T00:00:00Z"), "no time here"),
    ]


def test_gelf_levels_and_docker_json_file_lines(
    tmp_path: Path, settings: Settings, run_ingest: IngestFn
) -> None:
    log = tmp_path / "mixed.jsonl"
    log.write_bytes(
        b'{"version": "1.1", "host": "web-1", "short_message": "disk full", '
        b'"timestamp": 1700000000.5, "level": 3, "_user_id": "u9"}\n'
        b'{"log": "GET /health 200\\n", "stream": "stdout", "time": "2023-11-14T22:13:21.000Z"}\n'
    )
    run_ingest(log)
    rows = _events(settings, "epoch_ms(ts), host, level, severity, message, attrs")
    assert rows == [
        (
            1_700_000_000_500,
            "web-1",
            "ERROR",
            "3",
            "disk full",
            '{"version":"1.1","_user_id":"u9"}',
        ),
        (1_700_000_001_000, None, None, None, "GET /health 200", '{"stream":"stdout"}'),
    ]


def test_a_specific_format_less_than_sure_still_wins_over_the_generic_ones() -> None:
    from loglake.formats.applogs import GENERIC_MAX
    from loglake.formats.base import FormatSpec, Priority
    from loglake.formats.registry import register, unregister

    lines = [b'{"ts": "2024-05-01T10:00:00Z", "msg": "x", "acme": 1}'] * 10
    assert sniff_format(lines, "x").name == "jsonl"
    acme = FormatSpec(
        "test-acme-json",
        Priority.SPECIFIC,
        lambda head: GENERIC_MAX,  # as sure as the generic format, no more
        format_spec("jsonl").make_parser,
    )
    register(acme)
    try:
        assert sniff_format(lines, "x").name == "test-acme-json"
    finally:
        unregister(acme.name)
