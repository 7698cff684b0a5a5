"""The JSON API: every endpoint, hostile input, the error shape, fuzzing, a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from conftest import TEST_DATA, ClientFor, IngestFn, free_port, shared
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.web.api import POST_ROUTES, ROUTES
from loglake.web.openapi import pg_paths, upload_paths


@pytest.fixture(scope="module")
def lake_logs() -> list[Path]:
    """A real slow-query-heavy log and a real auth log."""
    return [
        shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz"),
        shared("mongodb", "json", "sanket-4.4.3.log"),
    ]


EXPECTED_KEYS = {
    "/api/summary": {"count", "total_duration_ms", "p50_ms", "p95_ms", "p99_ms", "first_ts",
                     "last_ts", "top_plans", "top_namespaces"},
    "/api/patterns": {"rows", "group_by"},
    "/api/trend": {"series", "sample", "bucket_seconds"},
    "/api/workload": {"by_db", "by_collection", "by_op", "total_ms"},
    "/api/heatmap": {"cells", "days"},
    "/api/slow-queries": {"rows", "total"},
    "/api/auth/summary": {"success", "failure", "by_user", "by_ip", "by_mechanism", "timeline"},
    "/api/auth/logs": {"rows", "total"},
    "/api/connections": {"accepted", "ended", "peak_open", "unique_hosts", "by_ip", "drivers",
                         "apps", "timeline", "sessions"},
    "/api/search": {"rows", "total"},
    "/api/templates": {"rows", "total", "trend_start", "bucket_seconds"},
    "/api/index-suggestions": {"suggestions", "not_indexable", "skipped", "workload_ms"},
    "/api/analysis": {"patterns", "groups", "workload_ms", "findings", "rules"},
    "/api/families": {"families", "total", "patterns_seen", "shape_family", "similarity"},
    "/api/anomalies": {"executions", "buckets", "executions_total", "buckets_total",
                       "by_pattern", "bucket_seconds", "threshold"},
    "/api/logs": {"rows", "total", "next_cursor"},
    "/api/logs/aggregate": {"total", "groups", "facets", "histogram", "stats"},
    # an assistant's questions (analytics/interactions.py); numbers in test_interactions*.py
    "/api/interactions/summary": {"interactions", "users", "failed", "low_satisfaction",
                                  "response_ms"},
    "/api/interactions/counts": {"rows", "interval", "tz"},
    "/api/interactions/top-questions": {"rows", "groups"},
    "/api/interactions/topics": {"rows"},
    "/api/interactions/failures": {"total", "reasons", "rows"},
    "/api/interactions/by": {"rows", "by", "groups"},
    "/api/interactions": {"rows", "total", "next_cursor"},
    "/api/interactions/detail": {"interaction", "records"},
    "/api/status": {"engine", "degraded", "dataset"},
    # the live PostgreSQL advisor: a log lake has no snapshot, and says how to take one
    "/api/pg/bottlenecks": {"snapshot", "rows", "index_findings", "families", "total", "message"},
    # the PostgreSQL questions (analytics/postgres.py); numbers in test_pg_live/test_pg_questions
    "/api/pg/top-queries": {"count", "total_ms", "normalized", "rows", "sort"},
    "/api/pg/time-per-hour": {"hours"},
    "/api/pg/errors": {"total", "by_code", "rows"},
    "/api/pg/lock-waits": {"waits", "total_wait_ms", "acquired", "acquired_wait_ms",
                           "deadlocks", "rows"},
    "/api/pg/temp-files": {"count", "total_bytes", "rows"},
    "/api/pg/checkpoints": {"count", "buffers", "write_s", "sync_s", "total_s", "reasons"},
    "/api/pg/autovacuum": {"vacuums", "analyzes", "rows"},
    "/api/pg/sessions": {"by", "sessions", "rows"},
}  # fmt: skip


@pytest.mark.parametrize("url", sorted(EXPECTED_KEYS))
def test_every_endpoint_answers_with_its_keys(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert EXPECTED_KEYS[url] <= set(response.get_json())
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_routes_cover_every_question() -> None:
    assert {f"/api{route}" for route in ROUTES} == set(EXPECTED_KEYS) - {"/api/status"} | {
        "/api/detail"
    }


def test_pattern_rows_carry_the_documented_keys(client: Any) -> None:
    rows = client.get("/api/patterns?group_by=query_hash&limit=3").get_json()["rows"]
    assert rows
    keys = {"key", "count", "total_ms", "avg_ms", "min_ms", "max_ms", "p50_ms", "p95_ms",
            "docs_examined", "keys_examined", "nreturned", "plans", "first_ts", "last_ts",
            "namespace", "op", "shape", "sample"}  # fmt: skip
    assert keys <= set(rows[0])
    assert {"file_id", "file_offset", "line_length"} == set(rows[0]["sample"])


def test_slow_query_rows_open_their_raw_line(client: Any) -> None:
    page = client.get("/api/slow-queries?sort=duration_ms&order=desc&limit=3").get_json()
    assert page["total"] == 441
    durations = [r["duration_ms"] for r in page["rows"]]
    assert durations == sorted(durations, reverse=True)
    row = page["rows"][0]
    detail = client.get(f"/api/detail?file_id={row['file_id']}&file_offset={row['file_offset']}")
    assert detail.status_code == 200
    body = detail.get_json()
    assert f'"durationMillis":{int(row["duration_ms"])}' in body["raw"].replace(" ", "")
    assert body["record"]["file_offset"] == row["file_offset"]


def test_auth_numbers_over_http(client: Any) -> None:
    body = client.get("/api/auth/summary").get_json()
    assert (body["success"], body["failure"]) == (6, 8)
    assert client.get("/api/auth/logs?result=failure&limit=3").get_json()["total"] == 8


HOSTILE = [
    "/api/patterns?sort=total_ms;DROP TABLE x",
    "/api/patterns?group_by=1;select",
    "/api/patterns?order=sideways",
    "/api/slow-queries?sort=duration_ms desc, (select 1)",
    "/api/slow-queries?limit=-1",
    "/api/slow-queries?limit=0",
    "/api/slow-queries?limit=99999999",
    "/api/slow-queries?offset=-5",
    "/api/slow-queries?limit=abc",
    "/api/slow-queries?from=yesterday",
    "/api/slow-queries?from=2024-02-30",
    "/api/slow-queries?from=0001-01-01T00:00:00%2B00:01",
    "/api/slow-queries?from=2024-03-02&to=2024-03-01",
    "/api/slow-queries?min_ms=NaN",
    "/api/slow-queries?min_ms=inf",
    "/api/slow-queries?min_ms=5&max_ms=1",
    "/api/slow-queries?namespace=%00",
    "/api/slow-queries?q=" + "x" * 600,
    "/api/trend?bucket=1y",
    "/api/detail?file_id=../../etc/passwd&file_offset=0",
    "/api/detail?file_id=%2Fetc%2Fpasswd&file_offset=0",
    "/api/detail?file_offset=0",
    "/api/detail?file_id=x&file_offset=-1",
    "/api/detail?file_id=x&file_offset=1e3",
    "/api/search?regex=1&q=(unclosed",
    "/api/search?q=x&case=upside",
    "/api/auth/logs?result=maybe",
    "/api/nope",
    "/api/../etc/passwd",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_parameters_get_a_4xx_in_the_error_shape(client: Any, url: str) -> None:
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    body = response.get_json()
    assert body["ok"] is False
    assert body["status"] == response.status_code
    assert body["error"]


def test_wrong_method_is_405_in_the_error_shape(client: Any) -> None:
    response = client.post("/api/summary")
    assert response.status_code == 405
    assert response.get_json() == {
        "ok": False,
        "error": response.get_json()["error"],
        "status": 405,
    }


def test_openapi_documents_every_route(client: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {*ROUTES, *POST_ROUTES, *upload_paths(), *pg_paths(), "/status"}
    assert set(doc["paths"]["/ask"]) == {"get", "post"}
    assert "requestBody" in doc["paths"]["/current-op"]["post"]
    params = {p["name"] for p in doc["paths"]["/slow-queries"]["get"]["parameters"]}
    assert {"namespace", "op", "plan", "app", "min_ms", "from", "to", "q", "sort", "order",
            "limit", "offset"} <= params  # fmt: skip


def test_a_token_is_required_when_set(lake: Settings, client_for: ClientFor) -> None:
    from dataclasses import replace

    client = client_for(replace(lake, auth_token="s3cret"))
    assert client.get("/api/summary").status_code == 401
    assert client.get("/api/summary", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.get("/api/summary", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_fuzzing_the_api_finds_no_server_error(app: Any) -> None:
    """Schemathesis generates requests from /api/openapi.json for every operation."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # /ask: GET and POST; the uploads: store, ingest, job status; the live advisor's three
    assert len(operations) == (
        len(ROUTES) + 1 + len(POST_ROUTES) + 1 + len(upload_paths()) + len(pg_paths())
    )

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])
            body = response.json()
            if response.status_code >= 400:
                assert body["ok"] is False and body["status"] == response.status_code

        check()


def test_answers_stay_consistent_while_an_ingest_commits(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", workers=1, cache_entries=0)
    ingest([str(shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz"))], settings)
    analytics = Analytics(settings)
    before = analytics.ask("summary", {})["count"]
    extra = shared("mongodb", "json", "hatchet-6.0.14-rs2.log.gz")
    after = before + 1767
    seen: set[int] = set()
    problems: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            summary = analytics.ask("summary", {})
            page = analytics.ask("slow_queries", {"limit": "5"})
            plans = sum(r["count"] for r in summary["top_plans"])
            if summary["count"] not in (before, after) or plans != summary["count"]:
                problems.append(f"summary {summary['count']} plans {plans}")
            if page["total"] not in (before, after):
                problems.append(f"page total {page['total']}")
            seen.add(summary["count"])

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        subprocess.run(
            [sys.executable, "-m", "loglake", "ingest", str(extra), "--out", str(settings.root),
             "--workers", "1", "-q"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while after not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not problems, problems[:5]
    assert seen == {before, after}


def test_loglake_serve_answers_over_http(server: str) -> None:
    import json

    with urllib.request.urlopen(f"{server}/api/summary", timeout=10) as r:
        assert r.headers["Server"] == "loglake"
        assert json.load(r)["count"] == 441
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{server}/api/patterns?sort=evil", timeout=10)
    assert info.value.code == 400
    info.value.close()


def test_serve_refuses_a_public_address_without_a_token(lake: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOGLAKE_AUTH_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "loglake", "serve", "--data", str(lake.root),
         "--host", "0.0.0.0", "--port", str(free_port())],
        check=False, capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip
    assert done.returncode == 1
    assert "LOGLAKE_AUTH_TOKEN" in done.stderr


def test_small_log_counts(settings: Settings, run_ingest: IngestFn, client_for: ClientFor) -> None:
    run_ingest(TEST_DATA / "mongod-6.0-setup.log")
    client = client_for(settings)
    assert client.get("/api/summary").get_json()["count"] == 1
