"""Headless Debian Chromium for the browser tests (Playwright drives /usr/bin/chromium).

`sync_api = require_browser()` at the top of a test module skips the module where Chromium
or Playwright is missing (and fails it under CI, where `make test` installs both);
`launched()` yields a browser; `Tab` is a page that records console errors and uncaught
exceptions. Pages the tests look at are saved to `SHOTS` (`make screenshots` picks the
README's pictures from there).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(
    os.environ.get(
        "LOGLAKE_SCREENSHOTS", Path(__file__).parent.parent / "test-artifacts" / "screenshots"
    )
)


def require_browser() -> Any:
    """Playwright's sync API, or the calling module skipped (an error under CI)."""
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed (`make test` installs it)"
        if os.environ.get("CI"):
            raise RuntimeError(reason)
        pytest.skip(reason, allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Debian Chromium."""
    with require_browser().sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def open(self, path: str) -> Any:
        """Go to a path of the server and wait for the network to settle (200 expected)."""
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response.status == 200, (path, response.status)
        return response

    def settle(self, pattern: str) -> None:
        """Wait for the URL to match and the network to settle (after a click)."""
        self.page.wait_for_url(re.compile(pattern))
        self.page.wait_for_load_state("networkidle")

    def shot(self, name: str) -> None:
        """Save the whole page as SHOTS/<name>.png."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
