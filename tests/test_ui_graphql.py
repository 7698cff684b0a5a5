"""GraphiQL at /graphql in a real browser (Debian's Chromium, Playwright) over `loglake
serve`, with every request to another host refused: it loads from the vendored files under
the app's content security policy and runs the example query against the lake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import launched, require_browser
from conftest import served
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.generate.interactions import InteractionSpec, generate_interactions
from loglake.ingest.pipeline import ingest

require_browser()


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("chat")
    truth = generate_interactions(InteractionSpec(seed=9, interactions=150, users=20), out)
    settings = Settings(root=out / "lake", workers=1)
    ingest([str(out / "chat")], settings, listeners=after_commit(settings))
    with served(settings.root) as url:
        yield url, truth


def test_graphiql_works_offline_and_answers_the_example(chat: tuple[str, dict[str, Any]]) -> None:
    base, truth = chat
    outside: list[str] = []
    errors: list[str] = []
    with launched() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 900})

        def only_ours(route: Any) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:  # no network beyond the server: a CDN request fails the test
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_ours)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        response = page.goto(f"{base}/graphql", wait_until="networkidle")
        assert response.status == 200
        page.locator(".graphiql-container").wait_for()
        with page.expect_response(lambda r: "summary" in (r.request.post_data or "")) as answered:
            page.locator(".graphiql-execute-button").click()
        data = answered.value.json()["data"]
        # the answer is shown (CodeMirror draws the visible lines; spaces are nbsp)
        shown = page.locator(".result-window")
        shown.get_by_text(f'"interactions": {truth["interactions"]}').first.wait_for()
    assert outside == []
    assert errors == []
    assert data["summary"]["interactions"] == truth["interactions"]
    assert sum(r["interactions"] for r in data["counts"]) == truth["interactions"]
    assert len(data["topQuestions"]) == 5
