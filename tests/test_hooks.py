"""Pre-ingest hooks (`--hook`, `LOGLAKE_HOOKS`): enrich, drop, raise — on the CLI ingest, the
vectorized MongoDB path and push ingest, counted against the seeded records' truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Runner, shared
from loglake.config import Settings
from loglake.errors import ConfigError
from loglake.ingest.pipeline import ingest
from loglake.web import create_app
from push_data import committed_files, records


def _write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "app.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def _rows(root: Path, columns: str = "component, level, attrs") -> list[tuple[Any, ...]]:
    files = committed_files(root)
    return duckdb.connect().execute(f"SELECT {columns} FROM read_parquet(?)", [files]).fetchall()


def _sent(lines: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def test_a_hook_enriches_every_record(tmp_path: Path, runner: Runner) -> None:
    lines = records("e", 300, seed=11)
    path = _write(tmp_path, lines)
    root = tmp_path / "lake"
    result = runner.run("ingest", str(path), "--data", str(root), "--hook", "push_hooks:enrich",
                        "--json", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["hooks"] == {"dropped": 0, "errors": {}, "error_total": 0, "error_samples": []}
    got = Counter((c, json.loads(a)["team"]) for c, _level, a in _rows(root))
    want = Counter(
        (r["service"].upper(), "payments" if r["service"] == "billing" else "core")
        for r in _sent(lines)
    )
    assert got == want


def test_a_hook_drops_records_and_the_report_counts_them(tmp_path: Path) -> None:
    lines = records("d", 400, seed=12)
    debug = sum(1 for r in _sent(lines) if r["level"] == "debug")
    assert debug > 5
    settings = Settings(root=tmp_path / "lake", workers=2, hooks="push_hooks:drop_debug")
    report = ingest([str(_write(tmp_path, lines))], settings)
    assert report["hooks"]["dropped"] == debug
    assert report["files"][0]["dropped"] == debug
    assert report["rows"]["events"] == 400 - debug
    assert Counter(level for _c, level, _a in _rows(settings.root))["DEBUG"] == 0


def test_a_raising_hook_is_counted_and_the_ingest_goes_on(tmp_path: Path, runner: Runner) -> None:
    lines = records("x", 300, seed=13)
    warns = [r["rid"] for r in _sent(lines) if r["level"] == "warn"]
    path, root = _write(tmp_path, lines), tmp_path / "lake"
    result = runner.run("ingest", str(path), "--data", str(root), "--hook",
                        "push_hooks:explode_on_warn", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{len(warns):,} hook errors" in " ".join(result.output.split())
    manifest = json.loads((root / "manifest.json").read_text())
    hooks = manifest["ingests"][-1]["hooks"]
    assert hooks["errors"] == {"push_hooks:explode_on_warn": len(warns)}
    assert hooks["error_samples"][0]["error"] == f"RuntimeError: cannot enrich {warns[0]}"
    rows = _rows(root)
    assert len(rows) == 300  # nothing lost
    checked = Counter("checked" in json.loads(a) for _c, _l, a in rows)
    assert checked == Counter({True: 300 - len(warns), False: len(warns)})


def test_a_hook_returning_junk_and_a_missing_hook(tmp_path: Path) -> None:
    lines = records("n", 50, seed=14)
    path = _write(tmp_path, lines)
    bad = Settings(root=tmp_path / "lake", workers=1, hooks="push_hooks:not_a_dict")
    report = ingest([str(path)], bad)
    assert report["hooks"]["error_total"] == 50 and report["rows"]["events"] == 50
    assert "not a dict" in report["hooks"]["error_samples"][0]["error"]
    with pytest.raises(ConfigError, match="no function nothing_here"):
        ingest([str(path)], Settings(root=tmp_path / "l2", hooks="push_hooks:nothing_here"))
    with pytest.raises(ConfigError, match="module:function"):
        ingest([str(path)], Settings(root=tmp_path / "l3", hooks="push_hooks"))


def test_hooks_apply_to_a_format_with_a_vectorized_parser(tmp_path: Path) -> None:
    path = shared("mongodb", "json", "replset-5.0.5-a.log")
    plain = Settings(root=tmp_path / "plain", workers=1)
    hooked = Settings(root=tmp_path / "hooked", workers=1, hooks="push_hooks:drop_network")
    base = ingest([str(path)], plain)
    report = ingest([str(path)], hooked)
    network = Counter(c for c, _level, _a in _rows(plain.root))["NETWORK"]
    assert network > 0
    assert report["hooks"]["dropped"] == network
    assert report["rows"]["events"] == base["rows"]["events"] - network
    assert report["rows"]["slow_queries"] == base["rows"]["slow_queries"]  # none were NETWORK


def test_pushed_records_go_through_the_hooks(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", push_batch_ms=20, hooks="push_hooks:drop_debug")
    app = create_app(settings)
    lines = records("p", 200, seed=15)
    debug = sum(1 for r in _sent(lines) if r["level"] == "debug")
    answer = (
        app.test_client()
        .post("/api/ingest", data=b"".join(lines), content_type="application/x-ndjson")
        .get_json()
    )
    assert (answer["accepted"], answer["dropped"]) == (200 - debug, debug)
    assert len(_rows(settings.root)) == 200 - debug
