"""One GraphQL request's way to the question registry: the same service, with a budget.

Every field that reads the lake asks one registered question through `Analytics.ask` —
the same validation, cache and SQL as the REST API. A request may ask at most
`max_questions` of them (nested fields multiply: a page of 50 interactions each asking for
its records is 51 questions), so one document cannot make the server run thousands.
"""

from __future__ import annotations

from typing import Any

import orjson

from loglake.analytics.service import Analytics
from loglake.errors import InputError

MAX_QUESTIONS = 100  # per GraphQL request


class Asker:
    """Asks the registry's questions for one request and counts them."""

    def __init__(self, analytics: Analytics, max_questions: int = MAX_QUESTIONS) -> None:
        self.analytics = analytics
        self.max_questions = max_questions
        self.asked = 0

    def ask(self, question: str, args: dict[str, Any]) -> dict[str, Any]:
        """The question's answer as the JSON API shows it (dates as text, no None args)."""
        self.asked += 1
        if self.asked > self.max_questions:
            raise InputError(
                f"this query asks more than {self.max_questions} questions of the lake: "
                "ask for fewer nested rows (smaller `first`/`limit`) or split it"
            )
        given = {k: v for k, v in args.items() if v is not None}
        answer = self.analytics.ask(question, given)
        # the JSON API's representation, exactly: dates and timestamps become their text
        plain: dict[str, Any] = orjson.loads(orjson.dumps(answer, option=orjson.OPT_NON_STR_KEYS))
        return plain
