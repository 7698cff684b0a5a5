"""The assistant pages (/interactions, /interactions/browse, a conversation) in a real
browser: Debian's Chromium driven by Playwright, over `loglake serve` on generated chatbot
logs (plus one question whose text is HTML). Numbers are checked against truth.json."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import served
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.generate.interactions import InteractionSpec, generate_interactions
from loglake.ingest.pipeline import ingest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(
    os.environ.get(
        "LOGLAKE_SCREENSHOTS", Path(__file__).parent.parent / "test-artifacts" / "screenshots"
    )
)
HOSTILE = '<b id="injected">fees?</b><script>window.pwned = 1</script>'

if not CHROMIUM.exists():
    reason = "Debian's chromium is not installed (`make test` installs it)"
    if os.environ.get("CI"):
        raise RuntimeError(reason)
    pytest.skip(reason, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def _hostile(folder: Path) -> None:
    """One answered question whose text is HTML, by a user who asks anyway."""
    base = {"req": {"id": "req-hostile"}, "authUserId": "usr_0001", "dealId": "deal-101"}
    records = [
        {"level": 30, "time": 1795860000000, "message": "Chat question received",
         "requestMessage": HOSTILE, **base},
        {"level": 30, "time": 1795860001500, "message": "Chat question answered",
         "requestMessage": HOSTILE, "processingTimeMs": 1500, "answer": "<i>ok</i>", **base},
    ]  # fmt: skip
    (folder / "2026-11-28T10:00:00.000Z-hostile.json").write_text(json.dumps(records))


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("chat")
    truth = generate_interactions(InteractionSpec(seed=3, interactions=300, users=40), out)
    _hostile(out / "chat")
    settings = Settings(root=out / "lake", workers=2)
    ingest([str(out / "chat")], settings, listeners=after_commit(settings))
    with served(settings.root) as url:
        yield url, truth


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium."""
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Tab:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response.status == 200, (path, response.status)

    def kpi(self, name: str) -> str:
        return str(self.page.locator(f"[data-kpi={name}] b").inner_text())

    def total(self) -> int:
        return int(self.page.locator("#browse-total").inner_text().replace(",", ""))

    def settle(self, pattern: str) -> None:
        self.page.wait_for_url(re.compile(pattern))
        self.page.wait_for_load_state("networkidle")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(browser: Any, chat: tuple[str, dict[str, Any]]) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="UTC")
    tab = Tab(context.new_page(), chat[0])
    yield tab
    assert not tab.errors, tab.errors
    context.close()


def test_the_overview_shows_plain_numbers_and_its_trend(
    tab: Tab, chat: tuple[str, dict[str, Any]]
) -> None:
    truth = chat[1]
    tab.open("/interactions")
    tab.shot("interactions")
    last_day = max(truth["per_day"])
    assert tab.kpi("day") == f"{truth['per_day'][last_day]:,}"
    assert tab.kpi("week") == f"{truth['interactions'] + 1:,}"  # + the hostile question
    assert tab.kpi("users") == str(truth["users"])
    rate = 100 * truth["failed"] / (truth["interactions"] + 1)
    assert tab.kpi("failed") == f"{rate:.1f}%"
    chart = tab.page.locator("[data-chart]")
    assert chart.get_attribute("data-drawn") == "1"
    text = tab.page.locator("#content").inner_text()
    for word in ("requestMessage", "question_group", "SELECT", "interaction_id"):
        assert word not in text  # plain words in the main view
    tab.page.locator("#trend-switch a", has_text="Weekly").click()
    tab.settle(r"interval=week")
    tab.page.wait_for_selector("[data-chart][data-drawn='1']", timeout=5000)  # drawn again


def test_top_questions_and_topics_drill_down(tab: Tab, chat: tuple[str, dict[str, Any]]) -> None:
    truth = chat[1]
    tab.open("/interactions")
    first = tab.page.locator("#top-questions tbody tr").first
    times = int(first.locator("td.num").inner_text().replace(",", ""))
    assert times == max(truth["top_questions"].values())
    first.locator("a").click()
    tab.settle(r"/interactions/browse\?.*group=")
    assert tab.total() == times
    tab.open("/interactions")
    fund, count = next(iter(truth["topics"].items()))
    tab.page.locator("#topics a", has_text=fund).click()
    tab.settle(r"topic=")
    assert tab.total() == count


def test_the_browser_searches_filters_and_opens_a_conversation(
    tab: Tab, chat: tuple[str, dict[str, Any]]
) -> None:
    truth = chat[1]
    tab.open("/interactions/browse")
    assert tab.total() == truth["interactions"] + 1
    tab.page.select_option("#browse-search select[name=outcome]", "failed")
    tab.page.locator("#browse-search button").click()
    tab.settle(r"outcome=failed")
    assert tab.total() == truth["failed"]
    tab.open("/interactions/browse?user=usr_0002")
    assert tab.total() == truth["per_user"]["usr_0002"]
    tab.open("/interactions/browse")
    row = tab.page.locator("#browse-rows tbody tr").nth(1)
    question = row.locator("a.open").inner_text()
    row.locator("a.open").click()
    tab.settle(r"/interactions/conversation\?interaction_id=")
    assert tab.page.locator("#question").inner_text() == question
    records = tab.page.locator("#records tbody tr")
    assert records.count() >= 2
    assert "Chat question received" in records.first.inner_text()
    tab.shot("interactions-conversation")


def test_question_text_is_escaped(tab: Tab) -> None:
    tab.open("/interactions/browse?q=pwned")
    assert tab.total() == 1
    assert tab.page.locator("#injected").count() == 0
    assert tab.page.evaluate("window.pwned") is None
    assert "<script>" in tab.page.locator("#browse-rows a.open").inner_text()
