"""The advisor through the JSON API and the CLI: thin checks that they call the service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from conftest import TEST_DATA, ClientFor, Runner
from loglake.analytics.service import Analytics
from loglake.config import Settings

SUGGESTION_KEYS = {"namespace", "db", "collection", "keys", "command", "rationale", "confidence",
                   "impact_ms", "share", "evidence", "patterns", "replaces"}  # fmt: skip


@pytest.fixture(scope="module")
def lake_logs() -> list[Path]:
    """The crafted advisor logs."""
    return sorted((TEST_DATA / "advisor").glob("*.log"))


def test_index_suggestions_endpoint(client: Any) -> None:
    """200 with the documented keys; filters apply."""
    response = client.get("/api/index-suggestions?namespace=inventory.stock")
    assert response.status_code == 200
    body = response.get_json()
    assert {"suggestions", "not_indexable", "skipped", "patterns_considered", "candidates",
            "workload_ms"} <= set(body)  # fmt: skip
    [s] = body["suggestions"]
    assert set(s) == SUGGESTION_KEYS
    assert s["keys"] == [["sku", 1], ["qty", 1]]


def test_analysis_endpoint(client: Any) -> None:
    """200 with patterns and their findings."""
    body = client.get("/api/analysis?namespace=h.collscan").get_json()
    assert {"patterns", "groups", "workload_ms", "findings", "rules"} <= set(body)
    [pattern] = body["patterns"]
    assert pattern["findings"][0]["rule"] == "collection_scan"
    assert {"rule", "severity", "title", "detail", "evidence"} == set(pattern["findings"][0])


@pytest.mark.parametrize("route", ["/api/index-suggestions", "/api/analysis"])
@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "from=never", "min_ms=-1"])
def test_bad_params_are_400(client: Any, route: str, query: str) -> None:
    """The one error shape, status 400."""
    response = client.get(f"{route}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False
    assert body["status"] == 400


def test_openapi_lists_both(client: Any) -> None:
    """Both routes are in the OpenAPI document, with their filters."""
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for route in ("/index-suggestions", "/analysis"):
        names = {p["name"] for p in paths[route]["get"]["parameters"]}
        assert {"namespace", "from", "to", "limit"} <= names


def test_cli_json_equals_the_service(lake: Settings, analytics: Analytics, runner: Runner) -> None:
    """`suggest-indexes --json` prints exactly the service's suggestions."""
    result = runner.run("suggest-indexes", "--data", str(lake.root), "--json")
    assert result.exit_code == 0, result.output
    expected = analytics.ask("index_suggestions", {})["suggestions"]
    assert json.loads(result.stdout) == expected


def test_cli_table_and_errors(lake: Settings, runner: Runner) -> None:
    """The table shows each createIndex command; bad options are one-line errors."""
    result = runner.run("suggest-indexes", "--data", str(lake.root), "--namespace", "shop.orders")
    assert result.exit_code == 0, result.output
    assert (
        'db.getSiblingDB("shop").orders.createIndex({"status": 1, "priority": -1, "createdAt": 1})'
    ) in result.stdout
    bad = runner.run("suggest-indexes", "--data", str(lake.root), "--limit", "0")
    assert bad.exit_code == 1
    assert "Error: limit: must be at least 1" in bad.stderr
    analyze = runner.run("analyze", "--data", str(lake.root), "--json", "--namespace", "h.sort")
    assert json.loads(analyze.stdout)["patterns"][0]["findings"][0]["rule"] == "unindexed_sort"


def test_polars_fallback_reports_them_degraded(lake: Settings, client_for: ClientFor) -> None:
    """Without DuckDB both questions are listed as degraded and answer 503."""
    from dataclasses import replace

    from loglake.analytics.service import DegradedError

    fallback = replace(lake, disable_duckdb=True)
    analytics = Analytics(fallback)
    assert {"index_suggestions", "analysis"} <= set(analytics.degraded)
    with pytest.raises(DegradedError):
        analytics.ask("index_suggestions", {})
    assert client_for(fallback).get("/api/analysis").status_code == 503


def test_fuzzing_finds_no_server_error(app: Flask) -> None:
    """Schemathesis requests built from the OpenAPI document never get a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        op.ok()
        for op in schema.get_all_operations()
        if op.ok().path in ("/index-suggestions", "/analysis")
    ]
    assert len(operations) == 2
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=40, deadline=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])

        check()
