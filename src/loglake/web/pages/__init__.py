"""The HTML pages: one module per group, all on the `pages` blueprint (see common.py)."""

from loglake.web.pages import logs, queries, tools
from loglake.web.pages.common import pages

__all__ = ["logs", "pages", "queries", "tools"]
