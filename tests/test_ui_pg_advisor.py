"""The live advisor's pages in a real browser (Debian Chromium through Playwright) over
`loglake serve`, on a snapshot of a real PostgreSQL 15 running the seeded demo workload:
bottlenecks with DDL and badges, a statement's page, "Run simulation" and the ask box."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import SHOTS, Tab, launched, require_browser
from conftest import served
from loglake.advisor.pg_collect import collect
from loglake.config import Settings
from pg_advisor_demo import demo_cluster
from pg_server import TEST_PASSWORD

require_browser()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_cluster() as demo:
        settings = Settings(root=tmp_path_factory.mktemp("uipg") / "lake", pg_dsn=demo.dsn)
        collect(settings, explain_top=20)
        with served(settings.root, LOGLAKE_PG_DSN=demo.dsn) as url:
            yield url


@pytest.fixture
def page(site: str) -> Iterator[Any]:
    with launched() as browser:
        tab = Tab(browser.new_page(viewport={"width": 1440, "height": 900}), site)
        yield tab.page
    assert not tab.errors, tab.errors


def test_bottlenecks_then_a_simulation_and_an_answer(page: Any, site: str) -> None:
    response = page.goto(f"{site}/pg/bottlenecks", wait_until="networkidle")
    assert response.status == 200
    html = page.content()
    assert TEST_PASSWORD not in html
    row = page.locator("#pg-bottlenecks tbody tr", has_text="WHERE customer_id = $1").first
    assert "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);" in row.inner_text()
    assert row.locator(".chip.confidence.ok").count() == 1
    assert row.locator("button.copy").get_attribute("data-copy").startswith("CREATE INDEX")
    assert row.locator(".chip.family").inner_text() == "orders_select_1col"
    findings = page.locator("#pg-index-findings tbody tr")
    assert findings.count() == 1
    assert "DROP INDEX CONCURRENTLY public.customers_email_idx;" in findings.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "pg-bottlenecks.png"), full_page=True)
    row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert "/pg/queries/" in page.url
    assert page.locator(".chip.plan-fact", has_text="Seq Scan").count() == 1
    chart = page.locator(".chart[aria-label='mean time per snapshot']").get_attribute("data-chart")
    assert "No data in this range" not in chart and '"mean ms"' in chart
    listed = page.locator("#pg-simulation-list tbody tr[data-simulation-id]")
    assert listed.count() == 0
    assert "No simulation of this statement yet" in page.locator("#pg-simulations").inner_text()
    page.locator("button.run-simulation").first.click()
    result = page.locator("#simulation-result")
    result.wait_for(timeout=10_000)
    delta = result.locator(".chip.delta").inner_text()
    assert delta.startswith("-") and float(delta.split("%")[0]) < -30
    change = result.locator(".chip.node-change").first.inner_text()
    assert "Seq Scan →" in change
    # the run is kept: listed under the recommendations, and still there after a reload
    listed.first.wait_for(timeout=10_000)
    for _ in range(2):
        assert listed.count() == 1
        assert listed.first.locator(".mode").inner_text() == "hypopg"
        assert listed.first.locator(".delta").inner_text() == delta.split(" ")[0]
        assert change in listed.first.locator(".changes").inner_text()
        page.reload(wait_until="networkidle")
    page.fill("#pg-ask input[name=question]", "why is this query slow?")
    page.click("#pg-ask button")
    page.locator("#pg-answer .facts").wait_for(timeout=10_000)
    assert "had_seq_scan=true" in page.locator("#pg-answer").inner_text()
    assert not page.locator("#simulation-running").is_visible()  # shown only while it runs
    page.screenshot(path=str(SHOTS / "pg-query.png"), full_page=True)
