"""`loglake generate app`: the generated service logs ingest to exactly their truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from conftest import IngestFn, Runner, query
from loglake.config import Settings
from loglake.generate.app import AppSpec, generate_app
from loglake.store.manifest import load_manifest

SPEC = AppSpec(seed=5, requests=1500, users=40, minutes=20)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("app")
    return out, generate_app(SPEC, out)


@pytest.fixture(scope="module")
def generated_arrays(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("app-arrays")
    spec = AppSpec(seed=5, requests=1500, users=40, minutes=20, json_array=True)
    return out, generate_app(spec, out)


def _paths(settings: Settings) -> dict[str, Path]:
    return {fid: Path(e["path"]) for fid, e in load_manifest(settings.root)["files"].items()}


def _counts(settings: Settings, column: str, file_id: str | None = None) -> dict[str, int]:
    where = "true" if file_id is None else "file_id = ?"
    rows = query(
        settings.root,
        "events",
        f"select {column}, count(*) from t where {where} and {column} is not null group by 1",
        [] if file_id is None else [file_id],
    )
    return {str(k): v for k, v in rows}


def test_generation_is_seeded_and_the_truth_counts_its_own_lines(
    generated: tuple[Path, dict], tmp_path: Path
) -> None:
    out, truth = generated
    again = generate_app(SPEC, tmp_path)
    assert again == truth
    assert (tmp_path / "app.jsonl").read_bytes() == (out / "app.jsonl").read_bytes()
    records = [orjson.loads(line) for line in (out / "app.jsonl").read_bytes().splitlines()]
    app = truth["files"]["app.jsonl"]
    assert len(records) == app["events"]
    assert Counter(r["authUserId"] for r in records if "authUserId" in r) == app["users"]
    access = (out / "access.log").read_text().splitlines()
    assert (
        len(access) == truth["requests"] == SPEC.requests == truth["files"]["access.log"]["events"]
    )
    assert {"500", "502", "503", "401", "200"} <= set(truth["files"]["access.log"]["statuses"])
    assert app["errors"] > 0 and truth["files"]["worker-java.log"]["multiline"] > 0
    assert any(isinstance(r["level"], str) for r in records)  # some loggers write the word


def test_the_pino_log_ingests_to_its_truth(
    generated: tuple[Path, dict], settings: Settings, run_ingest: IngestFn
) -> None:
    out, truth = generated
    app = truth["files"]["app.jsonl"]
    report = run_ingest(out / "app.jsonl")
    assert report["bad_lines"]["total"] == 0
    assert report["rows"]["events"] == app["events"]
    assert report["files"][0]["fields"]["user"] == "authUserId"
    assert _counts(settings, "level") == app["levels"]
    assert _counts(settings, '"user"') == app["users"]
    errors = query(
        settings.root, "events", "select count(*) from t where level in ('ERROR', 'FATAL')"
    )
    assert errors == [(app["errors"],)]
    statuses = _counts(settings, "http_status")
    assert sum(statuses.values()) == truth["requests"]
    assert statuses == truth["files"]["access.log"]["statuses"]  # the same traffic
    # the request fields and the rest of the record
    row = query(
        settings.root,
        "events",
        "select http_method, http_path, request_id, duration_ms, component, attrs from t "
        "where http_status >= 500 limit 1",
    )[0]
    assert row[0] in ("GET", "POST") and row[1].startswith("/") and row[2].startswith("req-")
    assert row[3] > 0 and row[4] == "HTTP"
    attrs = json.loads(row[5])
    assert "UpstreamError" in attrs["err"]["stack"] and "remoteAddress" in attrs["req"]


def test_json_array_files_per_minute_ingest_to_the_same_truth(
    generated_arrays: tuple[Path, dict], settings: Settings, run_ingest: IngestFn
) -> None:
    out, truth = generated_arrays
    app = truth["files"]["app/"]
    files = sorted((out / "app").iterdir())
    assert len(files) == app["files"] >= SPEC.minutes
    assert all(f.name[:4] == "2026" and f.name.endswith(".json") for f in files)
    report = run_ingest(out / "app")
    assert {f["format"] for f in report["files"]} == {"json-array"}
    assert report["bad_lines"]["total"] == 0
    assert report["rows"]["events"] == app["events"]
    assert _counts(settings, "level") == app["levels"]
    assert _counts(settings, '"user"') == app["users"]
    # each element's offsets read back exactly that element
    paths = _paths(settings)
    rows = query(
        settings.root,
        "events",
        "select file_id, file_offset, line_length, epoch_ms(ts), message from t",
    )
    data = {fid: path.read_bytes() for fid, path in paths.items()}
    for file_id, offset, length, ms, message in rows:
        element = orjson.loads(data[file_id][offset : offset + length])
        assert element["time"] == ms and element["msg"] == message


def test_the_generate_and_status_commands(tmp_path: Path, runner: Runner) -> None:
    out = tmp_path / "gen"
    result = runner.run("generate", "app", "-o", str(out), "--requests", "300", "--minutes", "5")
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text())
    assert truth["requests"] == 300 and "wrote 300 requests" in result.stderr
    lake = tmp_path / "lake"
    result = runner.run("ingest", str(out / "app.jsonl"), "--out", str(lake), "-q")
    assert result.exit_code == 0, result.output
    assert "Fields of" in result.output and "user=authUserId" in result.output
    status = runner.run("status", "--out", str(lake))
    assert "user=authUserId" in status.output
    bad = runner.run("generate", "app", "-o", str(out), "--start", "yesterday", catch=True)
    assert bad.exit_code == 1 and "not an ISO-8601 time" in bad.stderr
