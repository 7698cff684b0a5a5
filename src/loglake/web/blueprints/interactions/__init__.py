"""The assistant pages, in plain words for the people who run the product: how many
questions, how fast the answers come, what people ask most, what fails; and a browser of
the conversations, each opening every record of its question."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, request

from loglake.errors import InputError
from loglake.web import charts
from loglake.web.area import Area
from loglake.web.pages import ask, guarded
from loglake.web.templating import global_query, zone

area = Area("interactions", __name__, "Assistant", template_folder="templates")

# what a failure reason means, said to a person
REASONS = {
    "error_level": "The assistant ran into an error",
    "error_field": "The answer came with an error",
    "no_completion": "No answer was given",
    "low_satisfaction": "The person rated the answer poorly",
}
INTERVALS = {"day": 86_400, "week": 7 * 86_400}
PAGE_ROWS = "50"


def _day_range(day: str, days: int = 1) -> dict[str, str]:
    """from/to covering `days` days that end with `day` (a UTC date)."""
    try:
        end = date.fromisoformat(day) + timedelta(days=1)
    except ValueError:
        raise InputError(f"day: {day!r} is not a day; use YYYY-MM-DD") from None
    return {"from": (end - timedelta(days=days)).isoformat(), "to": end.isoformat()}


def _trend(counts: dict[str, Any], interval: str) -> charts.Chart:
    """Questions per day or week, each bar opening those conversations."""
    width = INTERVALS[interval]
    buckets, links = [], []
    for row in counts["rows"]:
        start = date.fromisoformat(row["bucket"])
        end = start + timedelta(seconds=width)
        buckets.append({"t": f"{row['bucket']}T00:00:00Z", "count": row["interactions"]})
        query = global_query(from_=start.isoformat(), to=end.isoformat())
        links.append(f"/interactions/browse{query}")
    return charts.histogram(buckets, width, zone(), links)


@area.page("/interactions", "Questions")
def overview() -> Response:
    """How many questions, from how many people, how fast and how well they were answered;
    the usage trend, the most common questions and topics, and what went wrong."""

    def build() -> dict[str, Any]:
        asked = request.args.get("interval") or "day"
        interval = asked if asked in INTERVALS else "day"
        summary = ask("interactions_summary")
        latest = (summary["last_ts"] or "")[:10]
        day = ask("interactions_summary", **_day_range(latest)) if latest else None
        week = ask("interactions_summary", **_day_range(latest, 7)) if latest else None
        counts = ask("interactions_counts", interval=interval)
        return {
            "summary": summary,
            "latest": latest,
            "day": day,
            "week": week,
            "interval": interval,
            "trend": _trend(counts, interval),
            "top": ask("interactions_top_questions", limit="10"),
            "topics": ask("interactions_topics", limit="12"),
            "failures": ask("interactions_failures", limit="10"),
            "reasons": REASONS,
        }

    return guarded("interactions/overview", build)


@area.page("/interactions/browse", "Conversations")
def browse() -> Response:
    """Every question, newest first: search the questions and answers, narrow by person,
    subject and day; each opens the whole exchange."""

    def build() -> dict[str, Any]:
        day = request.args.get("day")
        extra = _day_range(day) if day else {}
        return {"answer": ask("interactions", limit=PAGE_ROWS, **extra), "reasons": REASONS}

    return guarded("interactions/browse", build)


@area.route("/interactions/conversation")
def conversation() -> Response:
    """One question: what was asked, what was answered, and every record of it in order."""

    def build() -> dict[str, Any]:
        return {"detail": ask("interactions_detail"), "reasons": REASONS}

    return guarded("interactions/conversation", build)
