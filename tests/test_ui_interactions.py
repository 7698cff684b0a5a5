"""The assistant pages (/interactions, /interactions/browse, a conversation) in a real
browser: Debian's Chromium driven by Playwright, over `loglake serve` on generated chatbot
logs (plus one question whose text is HTML). Numbers are checked against truth.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Tab, launched, require_browser
from conftest import served
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.generate.interactions import InteractionSpec, generate_interactions
from loglake.ingest.pipeline import ingest

HOSTILE = '<b id="injected">fees?</b><script>window.pwned = 1</script>'

sync_api = require_browser()


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
    with launched() as chromium:
        yield chromium


class ChatTab(Tab):
    """A tab with this page's readings."""

    def kpi(self, name: str) -> str:
        return str(self.page.locator(f"[data-kpi={name}] b").inner_text())

    def total(self) -> int:
        return int(self.page.locator("#browse-total").inner_text().replace(",", ""))


@pytest.fixture
def tab(browser: Any, chat: tuple[str, dict[str, Any]]) -> Iterator[ChatTab]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="UTC")
    tab = ChatTab(context.new_page(), chat[0])
    yield tab
    assert not tab.errors, tab.errors
    context.close()


def test_the_overview_shows_plain_numbers_and_its_trend(
    tab: ChatTab, chat: tuple[str, dict[str, Any]]
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


def test_top_questions_and_topics_drill_down(
    tab: ChatTab, chat: tuple[str, dict[str, Any]]
) -> None:
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
    tab: ChatTab, chat: tuple[str, dict[str, Any]]
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


def test_question_text_is_escaped(tab: ChatTab) -> None:
    tab.open("/interactions/browse?q=pwned")
    assert tab.total() == 1
    assert tab.page.locator("#injected").count() == 0
    assert tab.page.evaluate("window.pwned") is None
    assert "<script>" in tab.page.locator("#browse-rows a.open").inner_text()
