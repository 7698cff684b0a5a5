"""The web pages in a real browser: Debian's Chromium driven by Playwright, over `loglake serve`.

Every page loads with no console error, charts are drawn, filters and sorting change the
table, a row opens its raw log entry, an upload makes its rows appear. A screenshot of
every page is saved to `test-artifacts/screenshots/` (or $LOGLAKE_SCREENSHOTS) for review.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Tab, launched, require_browser
from conftest import served
from loglake.config import Settings

# the routes outside tests rely on (issue 4), and the charts each must draw
PAGES = {
    "/dashboard": 6,
    "/slow-queries": 0,
    "/query-trend": 2,
    "/slow-query-analysis": 0,
    "/workload-summary": 3,
    "/index-suggestions": 0,
    "/logs": 1,
    "/search-logs": 0,
    "/auth": 4,
    "/connections": 5,
    "/templates": 0,  # inline-SVG sparklines, no ECharts (tests/test_ui_templates.py)
    "/current-op": 0,
    "/upload": 0,
    "/processing-status": 0,
    "/ask": 0,  # beyond issue 4's list: the advisor's grounded answers
}

sync_api = require_browser()


def generate(path: Path, size: str, seed: int, start: str | None = None) -> Path:
    """A seeded generated MongoDB log."""
    command = [sys.executable, "-m", "loglake.generate", "--size", size, "--seed", str(seed)]
    command += ["--start", start] if start else []
    subprocess.run([*command, "-o", str(path)], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A seeded generated log (slow queries, auth, connections)."""
    return [generate(tmp_path_factory.mktemp("ui") / "mongod.log", "6MB", 11)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium."""
    with launched() as chromium:
        yield chromium


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Tab]:
    """A fresh tab on the dataset's server."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = Tab(context.new_page(), server)
    yield page
    context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_loads_clean_and_draws_its_charts(tab: Tab, path: str) -> None:
    tab.open(path)
    tab.shot(path.strip("/"))
    assert not tab.errors, tab.errors
    charts = tab.page.locator("[data-chart]")
    assert charts.count() >= PAGES[path]
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("data-drawn") == "1"
        box = chart.locator("canvas").first.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    assert "No data yet" not in tab.page.content()


def test_root_redirects_to_the_dashboard(tab: Tab) -> None:
    tab.open("/")
    assert tab.page.url.endswith("/dashboard")


def _pager_total(tab: Tab) -> int:
    text = tab.page.locator(".pager span").first.inner_text()
    return int(re.search(r"of ([\d,]+)", text).group(1).replace(",", ""))  # type: ignore[union-attr]


def test_slow_queries_filter_sort_and_raw_entry(tab: Tab, lake: Settings) -> None:
    tab.open("/slow-queries")
    rows = tab.page.locator("#slow-table tbody tr")
    assert rows.count() == 50
    everything = _pager_total(tab)
    namespace = rows.first.locator("td").nth(1).inner_text()

    tab.page.fill("input[name=namespace]", namespace)
    tab.page.click("form.filters button[type=submit]")
    tab.page.wait_for_url(re.compile(r"namespace="))
    tab.page.wait_for_load_state("networkidle")
    filtered = _pager_total(tab)
    assert 0 < filtered < everything
    shown = tab.page.locator("#slow-table tbody tr td:nth-child(2)").all_inner_texts()
    assert shown and set(shown) == {namespace}

    tab.page.click("#slow-table th a:has-text('Duration')")
    tab.page.wait_for_url(re.compile(r"sort=duration_ms"))
    tab.page.wait_for_load_state("networkidle")
    first = tab.page.locator("#slow-table tbody tr").first
    offset = int(first.get_attribute("hx-get").rsplit("file_offset=", 1)[1])
    assert offset in _slowest(lake, namespace)

    first.click()
    raw = tab.page.locator("#modal #raw-entry")
    raw.wait_for()
    assert tab.page.locator("#modal").get_attribute("open") is not None
    assert "durationMillis" in raw.inner_text()
    assert namespace.split(".", 1)[1] in raw.inner_text()
    tab.shot("slow-queries-entry")
    tab.page.click("[data-close-modal]")
    assert tab.page.locator("#modal").get_attribute("open") is None
    assert not tab.errors, tab.errors


def _slowest(lake: Settings, namespace: str) -> set[int]:
    """The file offsets of a namespace's slowest operations, straight from Parquet."""
    import duckdb

    files = str(lake.root / "slow_queries" / "**" / "*.parquet")
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT file_offset FROM read_parquet(?) WHERE namespace = ? "
            "QUALIFY duration_ms = max(duration_ms) OVER ()",
            [files, namespace],
        ).fetchall()
    assert rows
    return {int(r[0]) for r in rows}


def test_time_range_preset_narrows_the_dashboard(tab: Tab) -> None:
    tab.open("/dashboard")
    total = int(tab.page.locator(".kpi b").first.inner_text().replace(",", ""))
    tab.page.click(".presets a:has-text('Last day')")
    tab.page.wait_for_url(re.compile(r"from="))
    tab.page.wait_for_load_state("networkidle")
    narrowed = int(tab.page.locator(".kpi b").first.inner_text().replace(",", ""))
    assert 0 < narrowed < total
    # the range travels with the navigation
    href = tab.page.locator("nav.side a:has-text('Slow queries')").get_attribute("href")
    assert "from=" in href
    assert not tab.errors, tab.errors


def test_query_trend_grouping_and_system_toggle(tab: Tab) -> None:
    tab.open("/query-trend")
    tab.page.select_option("select[name=group_by]", "namespace")
    tab.page.wait_for_url(re.compile(r"group_by=namespace"))
    tab.page.wait_for_load_state("networkidle")
    labels = tab.page.locator(".card table.data tbody td:first-child").all_inner_texts()
    assert labels and all(label.count(" ") == 0 for label in labels)  # namespaces, not shapes
    assert not any(label.split(".")[0] in {"admin", "local", "config"} for label in labels)
    assert tab.page.locator("[data-chart][data-drawn]").count() == 2
    assert not tab.errors, tab.errors


def test_analysis_tags_patterns_and_ask_answers_from_facts(tab: Tab) -> None:
    tab.open("/slow-query-analysis")
    assert tab.page.locator(".chip.sev-high").count() > 0  # findings
    assert tab.page.locator(".chip[title=family]").count() > 0  # family labels
    tab.open("/ask")
    tab.page.click(".examples a:has-text('what are the top problems?')")
    tab.page.wait_for_url(re.compile(r"q=what"))
    tab.page.locator(".answer-text").wait_for()
    facts = tab.page.locator("details.card table.data tbody tr")
    assert facts.count() > 0
    assert not tab.errors, tab.errors


def test_search_hit_opens_its_raw_line(tab: Tab) -> None:
    tab.open("/search-logs?q=Slow+query")
    rows = tab.page.locator("table.data tbody tr")
    assert rows.count() == 50
    rows.first.click()
    raw = tab.page.locator("#modal #raw-entry")
    raw.wait_for()
    assert "Slow query" in raw.inner_text()
    assert not tab.errors, tab.errors


def test_current_op_analysis(tab: Tab) -> None:
    doc = {
        "inprog": [
            {"opid": 11, "op": "query", "ns": "shop.orders", "secs_running": 120,
             "microsecs_running": 120_000_000, "active": True, "planSummary": "COLLSCAN",
             "client": "10.1.1.5:50000", "appName": "orders-api", "command": {"find": "orders",
             "filter": {"status": "A"}}},
            {"opid": 12, "op": "update", "ns": "shop.items", "secs_running": 1,
             "active": True, "waitingForLock": True, "client": "10.1.1.6:50001"},
        ],
        "ok": 1,
    }  # fmt: skip
    tab.open("/current-op")
    tab.page.fill("textarea[name=text]", json.dumps(doc))
    tab.page.click("form.paste button[type=submit]")
    tab.page.wait_for_load_state("networkidle")
    kpis = tab.page.locator(".kpi").all_inner_texts()
    assert any("Long-running" in k and "\n1\n" in k for k in kpis), kpis
    assert any("Waiting for locks" in k and "\n1" in k for k in kpis), kpis
    assert "db.killOp(11)" in tab.page.content()
    tab.shot("current-op-result")
    assert not tab.errors, tab.errors


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a dataset that does not exist yet."""
    with served(tmp_path_factory.mktemp("empty") / "lake") as url:
        yield url


def test_upload_makes_new_rows_appear(browser: Any, empty_server: str, tmp_path: Path) -> None:
    log = generate(tmp_path / "uploaded-mongod.log", "300KB", 5)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = Tab(context.new_page(), empty_server)
    try:
        tab.open("/slow-queries")
        assert "No data yet" in tab.page.content()
        tab.shot("empty-dataset")
        tab.open("/upload")
        tab.page.set_input_files("#upload-files", str(log))
        tab.page.locator("#upload-done").wait_for(state="visible", timeout=60_000)
        assert tab.page.locator("#upload-error").is_hidden()
        tab.shot("upload-done")
        tab.open("/slow-queries")
        assert tab.page.locator("#slow-table tbody tr").count() > 10
        tab.open("/processing-status")
        assert "uploaded-mongod.log" in tab.page.content()
        assert not tab.errors, tab.errors
    finally:
        context.close()
