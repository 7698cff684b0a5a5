"""`/metrics` (parsed with prometheus_client's own parser), `/api/metrics`, `/healthz` and
`/readyz`, with values asserted against what was pushed and asked."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from loglake.config import Settings
from loglake.web import create_app
from push_data import committed_files, records

NDJSON = "application/x-ndjson"


def scrape(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        assert family.name.startswith("loglake_"), family.name
        for s in family.samples:
            samples[s.name, tuple(sorted(s.labels.items()))] = s.value
    return samples


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Flask, dict[str, Any]]:
    """An app that received two pushes: 300 records and 4 broken lines, then a non-log body."""
    app = create_app(Settings(root=tmp_path / "lake", push_batch_ms=20))
    client = app.test_client()
    body = b"".join(records("m", 300, seed=21)) + b"{broken\n" * 4
    first = client.post("/api/ingest", data=body, content_type=NDJSON)
    assert first.status_code == 200
    junk = client.post("/api/ingest", data=b"\x00\x01\x02\n", content_type=NDJSON)
    assert junk.status_code == 422
    return app, {"bytes": len(body)}


def test_ingest_and_push_metrics_match_what_was_pushed(pushed: tuple[Flask, Any]) -> None:
    app, sent = pushed
    m = scrape(app)
    assert m["loglake_ingest_records_total", (("format", "jsonl"),)] == 300
    assert m["loglake_ingest_bytes_total", (("format", "jsonl"),)] == sent["bytes"]
    bad = ("loglake_ingest_bad_lines_total", (("format", "jsonl"), ("reason", "invalid_json")))
    assert m[bad] == 4
    not_a_log = (("format", "unknown"), ("reason", "not_a_log"))
    assert m["loglake_ingest_bad_lines_total", not_a_log] == 1
    assert m["loglake_push_requests_total", (("status", "200"),)] == 1
    assert m["loglake_push_requests_total", (("status", "422"),)] == 1
    assert m["loglake_commits_total", ()] == 1  # the junk body committed nothing
    assert m["loglake_ingest_seconds_count", ()] == 2


def test_lake_size_comes_from_the_manifest(pushed: tuple[Flask, Any]) -> None:
    app, _sent = pushed
    root = app.config["LOGLAKE_SETTINGS"].root
    m = scrape(app)
    files = committed_files(root)
    assert m["loglake_lake_rows", (("stream", "events"),)] == 300
    assert m["loglake_lake_bytes", (("stream", "events"),)] == sum(
        Path(f).stat().st_size for f in files
    )
    assert m["loglake_lake_files", (("stream", "events"),)] == len(files)
    assert m["loglake_lake_rows", (("stream", "slow_queries"),)] == 0
    version = json.loads((root / "manifest.json").read_text())["dataset_version"]
    assert m["loglake_dataset_version", ()] == version


def test_query_latency_per_question_and_cache_hits(pushed: tuple[Flask, Any]) -> None:
    app, _sent = pushed
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/logs", query_string={"level": "ERROR"}).status_code == 200
    assert client.get("/api/logs/aggregate", query_string={"group_by": "level"}).status_code == 200
    m = scrape(app)
    assert m["loglake_query_seconds_count", (("question", "logs"),)] == 3
    assert m["loglake_query_seconds_count", (("question", "logs_aggregate"),)] == 1
    assert m["loglake_answers_total", (("question", "logs"), ("source", "computed"))] == 1
    assert m["loglake_answers_total", (("question", "logs"), ("source", "cache"))] == 2
    assert m["loglake_cache_hits_total", ()] == 2
    total = m["loglake_query_seconds_sum", (("question", "logs"),)]
    inf = m["loglake_query_seconds_bucket", (("le", "+Inf"), ("question", "logs"))]
    assert total > 0 and inf == 3


def test_the_json_metrics_hold_the_same_samples(pushed: tuple[Flask, Any]) -> None:
    app, _sent = pushed
    text = scrape(app)
    doc = app.test_client().get("/api/metrics").get_json()
    assert doc["ok"] is True
    family = doc["metrics"]["loglake_ingest_records"]
    assert family["type"] == "counter"
    assert family["samples"] == [
        {"name": "loglake_ingest_records_total", "labels": {"format": "jsonl"}, "value": 300.0},
        {"name": "loglake_ingest_records_total", "labels": {"format": "unknown"}, "value": 0.0},
    ]
    rows = doc["metrics"]["loglake_lake_rows"]["samples"]
    assert {s["labels"]["stream"]: s["value"] for s in rows}["events"] == text[
        "loglake_lake_rows", (("stream", "events"),)
    ]


def test_health_and_readiness(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", auth_token="s3cret")
    app = create_app(settings)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"ok": True, "status": "alive"}  # no token needed
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert client.get("/metrics").status_code == 401  # metrics need the token
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    open_app = create_app(replace(settings, auth_token="")).test_client()
    settings.root.mkdir(parents=True, exist_ok=True)
    (settings.root / "manifest.json").write_text("{ not json")  # the lake breaks under it
    broken = open_app.get("/readyz")
    assert broken.status_code == 503
    assert "not readable" in broken.get_json()["error"]
    assert open_app.get("/healthz").status_code == 200  # alive, though not ready
    assert "loglake_lake_up 0.0" in open_app.get("/metrics").get_data(as_text=True)


def test_the_grafana_dashboard_reads_only_exported_metrics(pushed: tuple[Flask, Any]) -> None:
    app, _sent = pushed
    docs = Path(__file__).parents[1] / "docs"
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text())
    text = app.test_client().get("/metrics").get_data(as_text=True)
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    exported = {name + end for name, kind in families.items() for end in suffixes[kind]}
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bloglake_[a-z_]+", target["expr"])
    }
    assert len(used) >= 12
    assert used <= exported, used - exported
