"""The `templates` question: which kinds of messages there are, how many, when, at what level.

Templates are mined during ingest (`ingest/templates.py`); every event carries its
`template_id`, and the `templates` view holds their text. Counts, first/last seen, the
level mix, an example and the trend are read from the events themselves, so they follow
the filters and what retention kept.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.schema import Stream

_EVENTS = Stream.EVENTS
_MIN_WIDTH_US = 1_000_000


def templates(cur: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Templates of the filtered events, commonest first, each with its share and trend."""
    clause, values = where(_EVENTS, params)
    span = sql.fetch_one(cur, sql.render("template_span", where=clause), values)
    count = int(span.get("total") or 0)
    text = params.get("q")
    rows = sql.fetch(
        cur, sql.render("templates", where=clause), [*values, text, text, params["limit"]]
    )
    first, last = span.get("first_us"), span.get("last_us")
    buckets = int(params["buckets"])
    width = max(_MIN_WIDTH_US, math.ceil(((last or 0) - (first or 0) + 1) / buckets))
    # the level mix and the trend of the templates shown only
    wanted = [row["template_id"] or "" for row in rows]  # '': events mined before templates
    mine, mine_values = where(
        _EVENTS, params, "list_contains(?, coalesce(template_id, ''))", (wanted,)
    )
    levels: dict[str, dict[str, int]] = defaultdict(dict)
    trends: dict[str, list[int]] = defaultdict(lambda: [0] * buckets)
    if wanted:
        for found in sql.fetch(cur, sql.render("template_levels", where=mine), mine_values):
            levels[found["template_id"]][found["level"]] = found["n"]
        trend_sql = sql.render("template_trend", where=mine)
        for found in sql.fetch(cur, trend_sql, [first, width, *mine_values]):
            trends[found["template_id"]][min(int(found["bucket"]), buckets - 1)] = found["n"]
    for row in rows:
        tid = row["template_id"] or ""
        row["share"] = row["count"] / count if count else 0.0
        row["first_ts"] = sql.iso(row["first_ts"])
        row["last_ts"] = sql.iso(row["last_ts"])
        row["levels"] = dict(sorted(levels[tid].items(), key=lambda kv: (-kv[1], kv[0])))
        row["trend"] = trends[tid] if first is not None else []
    return {
        "rows": rows,
        "total": count,
        "trend_start": sql.iso(first),
        "bucket_seconds": width / 1_000_000,
    }
