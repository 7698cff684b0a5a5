"""The Python API (`loglake.Lake`): the examples/ script run as a user runs it, checked against
the truth of its seeded records; thread safety; hooks by name and raising; metrics."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import loglake
from loglake.errors import ConfigError
from push_data import committed_rids, records

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("python_api_example", EXAMPLES / "python_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_script_runs_and_its_numbers_are_true(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(loglake.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "python_api.py"), str(tmp_path / "lake")],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    out = json.loads(done.stdout)
    sent = _example().requests(1000)
    kept = [r for r in sent if r["level"] != "debug"]
    assert out["ingested"]["accepted"] == len(kept)
    assert out["ingested"]["dropped"] == len(sent) - len(kept)
    assert out["ingested"]["commits"] == 2
    levels = Counter(r["level"].upper() for r in kept)
    got = {row["level"]: row["count"] for row in out["by_level"]["groups"]["rows"]}
    assert got == dict(levels)
    assert out["errors_total"] == levels["ERROR"]
    newest = [r["msg"] for r in reversed(kept) if r["level"] == "error"][:3]
    assert out["newest_errors"] == newest
    services = Counter(r["service"] for r in kept)
    top = {f["value"]: f["count"] for f in out["top_sources"]["facets"]["source"]}
    assert top == dict(services.most_common(3))
    assert out["records_metric"][0]["value"] == len(kept)
    rows = {s["labels"]["stream"]: s["value"] for s in out["lake_rows"]}
    assert rows["events"] == len(kept)


def test_threads_ingest_and_ask_on_one_lake(tmp_path: Path) -> None:
    lake = loglake.Lake(tmp_path / "lake")
    errors: list[BaseException] = []

    def work(c: int) -> None:
        try:
            for b in range(2):
                result = lake.ingest_records(
                    (json.loads(line) for line in records(f"t{c}", 60, start=b * 60)),
                    batch_records=30,
                )
                assert (result["accepted"], result["commits"]) == (60, 2)
                lake.logs(limit=5)
                lake.aggregate(group_by="level")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    want = Counter(f"t{c}-{i}" for c in range(4) for i in range(120))
    assert committed_rids(lake.root) == want
    assert lake.logs(limit=1)["total"] == sum(want.values())


def test_hooks_by_name_and_a_raising_callable(tmp_path: Path) -> None:
    lake = loglake.Lake(tmp_path / "lake")
    lake.add_hook("push_hooks:drop_debug")

    def explode(row: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("nope")

    lake.add_hook(explode)
    sent = [json.loads(line) for line in records("h", 200, seed=31)]
    debug = sum(1 for r in sent if r["level"] == "debug")
    result = lake.ingest_records(sent)
    assert (result["accepted"], result["dropped"]) == (200 - debug, debug)
    assert list(result["hook_errors"].values()) == [200 - debug]  # every record it saw
    with pytest.raises(ConfigError, match="no function"):
        lake.add_hook("push_hooks:missing")


def test_files_lines_and_metrics(tmp_path: Path) -> None:
    lake = loglake.Lake(tmp_path / "lake")
    path = tmp_path / "app.jsonl"
    path.write_bytes(b"".join(records("f", 80, seed=32)))
    report = lake.ingest([path])
    assert report["rows"]["events"] == 80
    lines = [line.decode() for line in records("l", 20, seed=33)] + ["{broken"]
    result = lake.ingest_records(lines)
    assert (result["accepted"], result["rejected"], result["reasons"]) == (
        20, 1, {"invalid_json": 1},
    )  # fmt: skip
    text = lake.metrics("prometheus")
    assert isinstance(text, str)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples["loglake_ingest_records_total", (("format", "jsonl"),)] == 100
    assert samples["loglake_lake_rows", (("stream", "events"),)] == 100
    with pytest.raises(ConfigError, match="prometheus or json"):
        lake.metrics("xml")
