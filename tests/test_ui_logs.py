"""The Discover page (/logs) in a real browser: Debian's Chromium driven by Playwright.

Over `loglake serve` on the seeded two-server corpus (tests/logs_corpus.py): the page loads
clean with its histogram, facets and search narrow the records, a row opens its parsed
fields and raw entry, the histogram zooms (by URL and by dragging), the header's time-zone
selector changes the times shown, and log text is escaped. Counts are checked against the
raw files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from browser import Tab, launched, require_browser
from logs_corpus import Record, truth, write_corpus

HOSTILE = '<b id="injected">bold</b><script>window.pwned = 1</script>'

sync_api = require_browser()


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The seeded corpus, plus one line whose message is HTML."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = write_corpus(folder, lines_per_host=800)
    hostile = folder / "mongod-hostile.log"
    doc = {
        "t": {"$date": "2024-03-18T12:00:00.000Z"}, "s": "E", "c": "NETWORK", "id": 1234,
        "ctx": "conn1", "msg": HOSTILE, "attr": {},
    }  # fmt: skip
    hostile.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return [*paths, hostile]


@pytest.fixture(scope="module")
def records(lake_logs: list[Path]) -> list[Record]:
    """The truth, read from the raw files."""
    return truth(lake_logs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium."""
    with launched() as chromium:
        yield chromium


class LogsTab(Tab):
    """A tab with this page's readings."""

    def total(self) -> int:
        return int(self.page.locator("#discover-total").inner_text().replace(",", ""))


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[LogsTab]:
    """A fresh tab on the dataset's server."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="UTC")
    tab = LogsTab(context.new_page(), server)
    yield tab
    assert not tab.errors, tab.errors
    context.close()


def test_the_page_loads_clean_with_its_histogram(tab: LogsTab, records: list[Record]) -> None:
    tab.open("/logs")
    tab.shot("logs")
    assert tab.total() == len(records)
    chart = tab.page.locator("[data-chart]")
    assert chart.get_attribute("data-drawn") == "1"
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None and box["width"] > 300
    assert tab.page.locator("#discover-rows tbody.record").count() == 50
    for facet in ("level", "source", "user", "host", "template"):
        assert tab.page.locator(f"[data-facet={facet}] li").count() >= 1


def test_facets_narrow_and_widen_the_records(tab: LogsTab, records: list[Record]) -> None:
    tab.open("/logs")
    errors = sum(r.level == "ERROR" for r in records)
    facet = tab.page.locator("[data-facet=level] li", has_text="ERROR")
    assert facet.locator(".num").inner_text().replace(",", "") == str(errors)
    facet.locator("a").click()
    tab.settle(r"level=ERROR")
    assert tab.total() == errors
    levels = tab.page.locator("#discover-rows tbody.record td:nth-child(3)").all_inner_texts()
    assert levels and set(levels) == {"ERROR"}
    users = {r.user for r in records if r.level == "ERROR" and r.user}  # ERRORs name no user
    assert tab.page.locator("[data-facet=user] li a").count() == len(users)
    tab.page.locator("#active-filters a[aria-label='remove level']").click()
    tab.settle(r"^(?!.*level=)")
    assert tab.total() == len(records)


def test_search_box_keyword_and_regex(tab: LogsTab, records: list[Record]) -> None:
    tab.open("/logs")
    tab.page.fill("#discover-search input[name=keyword]", "TIMEOUT")
    tab.page.click("#discover-search button[type=submit]")
    tab.settle(r"keyword=TIMEOUT")
    assert tab.total() == sum("timeout" in r.message.lower() for r in records)
    marks = tab.page.locator("#discover-rows td.msg mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"timeout"}
    tab.page.fill("#discover-search input[name=keyword]", r"^Conn\w+ refused")
    tab.page.check("#discover-search input[name=regex]")
    tab.page.click("#discover-search button[type=submit]")
    tab.settle(r"regex=true")
    expected = sum(re.search(r"^Conn\w+ refused", r.message) is not None for r in records)
    assert tab.total() == expected > 0


def test_a_row_expands_to_its_fields_and_raw_entry(tab: LogsTab, records: list[Record]) -> None:
    tab.open("/logs?user=carol")
    record = tab.page.locator("#discover-rows tbody.record").first
    detail = record.locator("tr.detail")
    assert detail.is_hidden()
    record.locator("[data-expand]").click()
    assert detail.is_visible()
    raw = detail.locator("[data-raw-url]")
    tab.page.wait_for_function(
        "el => el.textContent.trim().startsWith('{')", arg=raw.element_handle()
    )
    fields = dict(
        zip(
            detail.locator(".kv th").all_inner_texts(),
            detail.locator(".kv td").all_inner_texts(),
            strict=True,
        )
    )
    newest = max((r for r in records if r.user == "carol"), key=lambda r: (r.ts, r.path, r.offset))
    assert fields["user"] == "carol" and int(fields["file_offset"]) == newest.offset
    assert json.loads(raw.inner_text()) == json.loads(newest.line)
    record.locator("[data-expand]").click()
    assert detail.is_hidden()


def test_zoom_by_url_and_by_dragging(tab: LogsTab, records: list[Record]) -> None:
    start, end = datetime(2024, 3, 18, 6, tzinfo=UTC), datetime(2024, 3, 18, 12, tzinfo=UTC)
    tab.open("/logs?from=2024-03-18T06:00:00Z&to=2024-03-18T12:00:00Z")
    assert tab.total() == sum(start <= r.ts < end for r in records)
    canvas = tab.page.locator("[data-chart] canvas").first
    box = canvas.bounding_box()
    y = box["y"] + box["height"] * 0.5
    tab.page.mouse.move(box["x"] + box["width"] * 0.35, y)
    tab.page.mouse.down()
    tab.page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    tab.page.mouse.move(box["x"] + box["width"] * 0.65, y, steps=8)
    tab.page.mouse.up()
    tab.settle(r"from=2024-03-18T0[789]")
    args = dict(re.findall(r"(from|to)=([^&]+)", tab.page.url))
    low, high = (datetime.fromisoformat(args[k].replace("%3A", ":")) for k in ("from", "to"))
    assert start < low < high < end
    assert tab.total() == sum(low <= r.ts < high for r in records) > 0
    tab.shot("logs-zoomed")


def test_the_time_zone_selector(tab: LogsTab, records: list[Record]) -> None:
    tab.open("/logs?from=2024-03-18T06:00:00Z")
    total = tab.total()
    shown_utc = tab.page.locator("#discover-rows tbody.record td:nth-child(2)").first.inner_text()
    tab.page.select_option("#tz-select", "Asia/Kolkata")
    tab.settle(r"tz=Asia%2FKolkata")
    assert tab.total() == total  # the same instant, shown in another zone
    assert "Time (Asia/Kolkata)" in tab.page.locator("#discover-rows thead").inner_text()
    shown = tab.page.locator("#discover-rows tbody.record td:nth-child(2)").first.inner_text()
    as_utc = datetime.strptime(shown_utc, "%Y-%m-%d %H:%M:%S.%f")
    assert datetime.strptime(shown, "%Y-%m-%d %H:%M:%S.%f") == as_utc + timedelta(
        hours=5, minutes=30
    )
    # the picker shows from in the zone, and a time typed there is read in it
    typed = tab.page.locator(".timepicker input[name=from]").input_value()
    assert typed in ("2024-03-18T11:30", "2024-03-18T11:30:00")  # the browser drops :00
    tab.page.fill(".timepicker input[name=from]", "2024-03-19T00:00:00")
    tab.page.click(".timepicker button[type=submit]")
    tab.settle(r"from=2024-03-19T00")
    since = datetime(2024, 3, 19, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert tab.total() == sum(r.ts >= since for r in records)
    # the zone travels with the navigation
    href = tab.page.locator("nav.side a:has-text('Dashboard')").get_attribute("href")
    assert "tz=Asia%2FKolkata" in href


def test_log_text_is_escaped(tab: LogsTab) -> None:
    tab.open("/logs?date=2024-03-18&level=ERROR&keyword=injected")
    assert tab.total() == 1
    cell = tab.page.locator("#discover-rows td.msg").first
    assert cell.inner_text() == HOSTILE
    assert tab.page.locator("#injected").count() == 0
    assert tab.page.evaluate("window.pwned") is None


def test_time_axes_follow_the_time_zone(tab: LogsTab) -> None:
    """A chart's time axis shows the chosen zone's wall clock (UTC by default, never the
    browser's own zone): authentications over time, in UTC and in India."""
    first_x = """() => {
        const el = [...document.querySelectorAll('[data-chart]')]
            .find(e => JSON.parse(e.dataset.chart).xAxis.type === 'time');
        const o = echarts.getInstanceByDom(el).getOption();
        const given = JSON.parse(el.dataset.chart).series[0].data[0][0];
        return [o.useUTC, o.series[0].data[0][0], given];
    }"""
    tab.open("/auth")
    utc, shown, given = tab.page.evaluate(first_x)
    assert utc is True and shown == given
    tab.open("/auth?tz=Asia/Kolkata")
    utc, shown, given = tab.page.evaluate(first_x)
    moved = datetime.fromtimestamp(shown / 1000, UTC)
    start = datetime.fromisoformat(given.replace("Z", "+00:00"))
    assert utc is True and moved == start + timedelta(hours=5, minutes=30)
