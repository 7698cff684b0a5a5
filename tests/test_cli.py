"""The CLI: thin checks that commands wire the library up and speak JSON and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import TEST_DATA, Runner
from loglake.config import load_settings

SETUP = TEST_DATA / "mongod-6.0-setup.log"
AUTH = TEST_DATA / "mongod-4.4-auth.log"


def test_ingest_json_report_has_the_documented_keys(tmp_path: Path, runner: Runner) -> None:
    result = runner.run(
        "ingest", str(SETUP), str(AUTH), "--out", str(tmp_path / "lake"), "--json", "-q"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == [
        "ingest_id",
        "dataset_version",
        "bytes",
        "seconds",
        "rows",
        "bad_lines",
        "files",
    ]
    assert set(report["rows"]) == {
        "slow_queries", "authentications", "connections", "events", "interactions"
    }  # fmt: skip
    assert report["rows"]["events"] == 225 + 459
    assert report["rows"]["authentications"] == 14
    assert report["bad_lines"] == {"total": 0}
    assert report["bytes"] == SETUP.stat().st_size + AUTH.stat().st_size
    for f in report["files"]:
        assert {"file_id", "path", "format", "lines"} <= set(f)


def test_status_summaries_rebuild_and_clean(tmp_path: Path, runner: Runner) -> None:
    root = str(tmp_path / "lake")
    assert runner.run("ingest", str(SETUP), "--out", root, "-q").exit_code == 0
    status = json.loads(runner.run("status", "--data", root, "--json").stdout)
    assert status["streams"]["slow_queries"]["rows"] == 1
    assert status["dataset_version"] == 1
    summary = json.loads(runner.run("summaries", "--data", root, "--json").stdout)
    assert summary["slow_queries"]["count"] == 1
    assert summary["slow_queries"]["total_duration_ms"] == 125
    assert summary["connections"]["accepted"] == 49
    (tmp_path / "lake" / "summaries" / "dataset.json").unlink()
    assert runner.run("rebuild-summaries", "--data", root).exit_code == 0
    rebuilt = json.loads((tmp_path / "lake" / "summaries" / "dataset.json").read_text())
    assert rebuilt["slow_queries"] == summary["slow_queries"]
    human = runner.run("status", "--data", root)
    assert "slow_queries" in human.stdout
    dry = json.loads(
        runner.run("clean", "--data", root, "--before", "2030-01-01", "--dry-run", "--json").stdout
    )
    assert dry["rows"] == 225 + 1 + 98 + 49
    cleaned = runner.run("clean", "--data", root, "--before", "2030-01-01")
    assert cleaned.exit_code == 0
    status = json.loads(runner.run("status", "--data", root, "--json").stdout)
    assert status["streams"]["events"]["rows"] == 0


def test_errors_are_one_line_and_exit_1(tmp_path: Path, runner: Runner) -> None:
    result = runner.run(
        "ingest", str(tmp_path / "missing.log"), "--out", str(tmp_path / "l"), catch=True
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'missing.log'}: no such file or directory"
    result = runner.run("status", "--data", str(tmp_path / "nothing"), catch=True)
    assert result.exit_code == 1 and "no dataset" in result.stderr
    result = runner.run("clean", "--data", str(tmp_path), "--before", "junk", catch=True)
    assert result.exit_code == 1


def test_environment_settings_and_seed_tool_aliases(tmp_path: Path, runner: Runner) -> None:
    env = {
        "MONGO_SLOWQ_OUT_ROOT": str(tmp_path / "a"),
        "MONGO_SLOWQ_CHUNK_ROWS": "10",
        "MONGO_SLOWQ_PARQUET_COMPRESSION": "SNAPPY",
        "MONGO_SLOWQ_KEEP_SOURCE_COPY": "1",
    }
    s = load_settings(env)
    assert (s.root, s.chunk_rows, s.compression, s.copy_source) == (
        tmp_path / "a",
        10,
        "snappy",
        True,
    )
    env["LOGLAKE_ROOT"] = str(tmp_path / "b")
    assert load_settings(env).root == tmp_path / "b"
    result = runner.run("ingest", str(SETUP), "-q", env=env)
    assert result.exit_code == 0
    assert (tmp_path / "b" / "manifest.json").exists()
    assert list((tmp_path / "b" / "source").iterdir())


def test_help_is_fast_and_module_entry_point_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "loglake", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    assert "ingest" in out.stdout and "rebuild-summaries" in out.stdout
    heavy = [line for line in out.stderr.splitlines() if "pyarrow" in line or "duckdb" in line]
    assert heavy == [], "--help must not import pyarrow or duckdb"
