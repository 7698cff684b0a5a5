"""Paginated questions: which view a page reads, and a page with the total it belongs to."""

from __future__ import annotations

from typing import Any

from loglake.analytics import sql
from loglake.analytics.engine import newest_first
from loglake.schema import Stream

NEWEST_FIRST_ROWS = 4096  # pages ending deeper than this are read from the plain view


def page_source(stream: Stream, newest_first_page: bool, params: dict[str, Any]) -> str:
    """The view to read a page from: newest files first for an early newest-first page.

    Deep pages are read from the plain view: there DuckDB sorts everything anyway, and a
    newest-first file order only makes that slower.
    """
    shallow = params["offset"] + params["limit"] <= NEWEST_FIRST_ROWS
    return newest_first(stream) if newest_first_page and shallow else stream.value


def fetch_page(
    cur: Any,
    stream: Stream,
    text: str,
    clause: str,
    values: list[Any],
    params: dict[str, Any],
    count: tuple[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """`rows` of one page (SQL `text` ends with LIMIT ? OFFSET ?), `total`, `limit`, `offset`.

    `count` is another query of the total (a rollup's) and its values."""
    rows = sql.fetch(cur, text, [*values, params["limit"], params["offset"]])
    for row in rows:
        row["ts"] = sql.iso(row["ts"])
    if count is None:
        count = (sql.render("count", stream=stream.value, where=clause), values)
    total = sql.fetch_one(cur, *count)
    return {
        "rows": rows,
        "total": total["total"],
        "limit": params["limit"],
        "offset": params["offset"],
    }
