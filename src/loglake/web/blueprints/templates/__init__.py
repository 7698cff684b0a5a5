"""The message templates page: the kinds of messages there are, how many, and their trend."""

from __future__ import annotations

from typing import Any

from flask import Response

from loglake.web.area import Area
from loglake.web.pages import ask, guarded
from loglake.web.templating import global_query

area = Area("templates", __name__, "Logs", template_folder="templates")

EVENTS_PAGE = "/logs"  # the Discover-like page (logs-ui), filtered by ?template=
SPARK_WIDTH = 120
SPARK_HEIGHT = 24


def sparkline(values: list[int], width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT) -> str:
    """The `points` of an inline-SVG polyline of counts (an empty bucket is drawn at zero)."""
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )


@area.page("/templates", "Templates")
def templates() -> Response:
    """Message templates, commonest first: count, share, levels, trend; each opens its events."""

    def build() -> dict[str, Any]:
        answer = ask("templates")
        for row in answer["rows"]:
            row["spark"] = sparkline(row["trend"])
            row["events_url"] = EVENTS_PAGE + global_query(template=row["template_id"])
        return {"answer": answer, "spark": {"width": SPARK_WIDTH, "height": SPARK_HEIGHT}}

    return guarded("templates/templates", build)
