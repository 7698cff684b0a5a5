"""The /templates page in a real browser (Debian's Chromium driven by Playwright, over
`loglake serve`): every template with its count and an SVG trend, a filter that narrows
them, and a click through to the template's events at /logs?template=<id>."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Tab, launched, require_browser
from test_templates import TEMPLATES, generated

require_browser()  # skips the module where Debian's chromium or playwright is missing


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    path = tmp_path_factory.mktemp("ui-templates") / "mongod.log"
    return path, generated(path, 6_000, seed=9)


@pytest.fixture(scope="module")
def lake_logs(truth: tuple[Path, list[int]]) -> list[Path]:
    return [truth[0]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = Tab(context.new_page(), server)
    yield page
    context.close()


def api(server: str, path: str) -> Any:
    with urllib.request.urlopen(server + path, timeout=30) as response:
        return json.loads(response.read())


def test_the_templates_page_shows_counts_trends_and_links(
    tab: Tab, server: str, truth: tuple[Path, list[int]]
) -> None:
    tab.open("/templates")
    tab.shot("templates")
    assert not tab.errors, tab.errors
    rows = tab.page.locator("table.templates tbody tr")
    counts = Counter(truth[1])
    assert rows.count() == len(TEMPLATES)
    shown = [int(t.replace(",", "")) for t in rows.locator("td:nth-child(1)").all_inner_texts()]
    assert shown == sorted(counts.values(), reverse=True)
    answer = api(server, "/api/templates")
    for i, row in enumerate(answer["rows"]):
        line = rows.nth(i)
        assert line.get_attribute("data-template") == row["template_id"]
        points = line.locator("svg.spark polyline").get_attribute("points") or ""
        assert len(points.split()) == len(row["trend"]) == 24
        box = line.locator("svg.spark").bounding_box()
        assert box is not None and box["width"] >= 100
        link = line.locator("a.template-link")
        assert link.get_attribute("href") == f"/logs?template={row['template_id']}"
        assert link.inner_text() == row["template"]


def test_a_filter_narrows_the_templates_and_a_click_opens_the_events(tab: Tab) -> None:
    tab.open("/templates")
    tab.page.fill("form.filters input[name=q]", "checksum")
    tab.page.click("form.filters button[type=submit]")
    tab.page.wait_for_url(re.compile(r"q=checksum"))
    tab.page.wait_for_load_state("networkidle")
    rows = tab.page.locator("table.templates tbody tr")
    assert rows.count() == 1
    assert "Checksum mismatch" in rows.first.inner_text()
    template_id = rows.first.get_attribute("data-template")
    rows.first.locator("a.template-link").click()
    tab.page.wait_for_url(re.compile(r"/logs\?"))
    assert tab.page.url == f"{tab.base}/logs?template={template_id}"
