"""The GraphQL types: the answers of the registry's questions, field for field.

Each type is built from a question's JSON answer (`from_row`), so GraphQL and the REST API
show the same values; only the names are camelCase. Nested fields (a top question's
interactions, an interaction's records or near-duplicates) ask further questions through
the request's `Asker`, which counts them against the request's budget.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, NewType, TypeVar

import strawberry
from strawberry.scalars import JSON

from loglake.errors import InputError
from loglake.web.gql.asker import Asker

Long = NewType("Long", int)  # a 64-bit integer: GraphQL's Int has 32 bits (schema.SCALARS)
T = TypeVar("T")
FILTERED_BY = frozenset({"user", "subject"})  # the `by` keys the interactions list filters on


def from_row(cls: type[T], row: dict[str, Any], **extra: Any) -> T:
    """An instance of a GraphQL type from an answer row (snake_case keys, missing = None)."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    values = {name: row.get(name) for name in names if not name.startswith("_")}
    return cls(**{**values, **extra})


@strawberry.enum(description="bucket of the usage counts")
class Interval(enum.Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@strawberry.enum(description="how an interaction ended")
class Outcome(enum.Enum):
    ANSWERED = "answered"
    FAILED = "failed"


@strawberry.enum(description="what interactions are counted by")
class By(enum.Enum):
    USER = "user"
    SUBJECT = "subject"
    MODEL = "model"


@strawberry.enum(description="which interactions the failures list holds")
class FailureKind(enum.Enum):
    ALL = "all"
    FAILED = "failed"
    UNHAPPY = "unhappy"


@strawberry.input(description="Which interactions a question looks at (all optional)")
class InteractionFilter:
    from_: str | None = strawberry.field(
        default=None, name="from", description="start (inclusive), ISO 8601; naive = UTC"
    )
    to: str | None = strawberry.field(default=None, description="end (exclusive), ISO 8601")
    tz: str | None = strawberry.field(default=None, description="time zone (IANA name)")
    user: str | None = None
    subject: str | None = strawberry.field(default=None, description="e.g. a deal id")
    topic: str | None = strawberry.field(default=None, description="a key phrase (see topics)")
    outcome: Outcome | None = None
    text: str | None = strawberry.field(default=None, description="text in question or answer")
    group: str | None = strawberry.field(default=None, description="a near-duplicate group")

    def args(self) -> dict[str, Any]:
        """The filter as the registry's parameters."""
        return {
            "from": self.from_,
            "to": self.to,
            "tz": self.tz,
            "user": self.user,
            "subject": self.subject,
            "topic": self.topic,
            "outcome": self.outcome.value if self.outcome else None,
            "q": self.text,
            "group": self.group,
        }


@strawberry.type(description="How many questions, users, failures; response time")
class Summary:
    interactions: int
    users: int
    failed: int
    low_satisfaction: int
    rated: int
    failure_rate: float | None
    avg_response_ms: float | None
    p50_response_ms: float | None
    p95_response_ms: float | None
    p99_response_ms: float | None
    first_ts: str | None
    last_ts: str | None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Summary:
        """The type from the interactions_summary answer."""
        times = {f"{k}_response_ms": v for k, v in answer["response_ms"].items()}
        return from_row(cls, {**answer, **times})


@strawberry.type(description="Interactions and unique users in one day, week or month")
class CountRow:
    bucket: str = strawberry.field(description="YYYY-MM-DD of the bucket's start")
    interactions: int
    users: int
    failed: int
    avg_response_ms: float | None
    p95_response_ms: float | None


@strawberry.type(description="A page of interactions, newest first")
class InteractionPage:
    rows: list[Interaction]
    total: int
    next_cursor: str | None = strawberry.field(description="`after` of the next page")


@strawberry.type(description="One record of an interaction, as logged")
class InteractionRecord:
    file_id: str
    file_offset: Long
    raw: str
    record: JSON | None


@strawberry.type(description="One question asked of the assistant")
class Interaction:
    interaction_id: str
    ts: str | None
    last_ts: str | None
    request_id: str | None
    user: str | None
    subject: str | None
    question: str | None
    question_norm: str | None
    question_group: str | None
    topics: list[str]
    answer: str | None
    answer_length: Long | None
    response_ms: float | None
    outcome: str | None
    failure_reason: str | None
    error: str | None
    satisfaction: float | None
    rating: str | None
    tokens: Long | None
    model: str | None
    record_count: int | None = strawberry.field(description="records of this question")
    file_id: str | None
    file_offset: Long | None
    _asker: strawberry.Private[Asker]

    @classmethod
    def of(cls, row: dict[str, Any], asker: Asker) -> Interaction:
        """The type from a row of the interactions (list) answer."""
        return from_row(cls, {**row, "record_count": row.get("records")}, _asker=asker)

    @strawberry.field(description="Every record of this question in order, raw entries included")
    def records(self) -> list[InteractionRecord]:
        answer = self._asker.ask("interactions_detail", {"interaction_id": self.interaction_id})
        return [from_row(InteractionRecord, r) for r in answer["records"]]

    @strawberry.field(description="Near-duplicates of this question (its group), newest first")
    def similar(self, first: int = 10, after: str | None = None) -> InteractionPage:
        return page_of(self._asker, {"group": self.question_group or ""}, first, after)


def page_of(asker: Asker, args: dict[str, Any], first: int, after: str | None) -> InteractionPage:
    """One page of the interactions question."""
    answer = asker.ask("interactions", {**args, "limit": first, "cursor": after})
    rows = [Interaction.of(row, asker) for row in answer["rows"]]
    return InteractionPage(rows=rows, total=answer["total"], next_cursor=answer["next_cursor"])


@strawberry.type(description="A common question: near-duplicates grouped, with examples")
class TopQuestion:
    question: str
    count: int
    examples: list[str]
    failed: int
    avg_response_ms: float | None
    group: str
    _asker: strawberry.Private[Asker]
    _args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The interactions of this group, newest first")
    def interactions(self, first: int = 10, after: str | None = None) -> InteractionPage:
        return page_of(self._asker, {**self._args, "group": self.group}, first, after)


@strawberry.type(description="A key phrase the questions mention, by interactions")
class Topic:
    topic: str
    count: int
    failed: int
    _asker: strawberry.Private[Asker]
    _args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The interactions that mention it, newest first")
    def interactions(self, first: int = 10, after: str | None = None) -> InteractionPage:
        return page_of(self._asker, {**self._args, "topic": self.topic}, first, after)


@strawberry.type(description="Interactions of one user, subject or model")
class Group:
    key: str | None
    interactions: int
    failed: int
    low_satisfaction: int
    avg_response_ms: float | None
    p95_response_ms: float | None
    last_ts: str | None
    _asker: strawberry.Private[Asker]
    _args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Its interactions, newest first (by user or subject)")
    def rows(self, first: int = 10, after: str | None = None) -> InteractionPage:
        by = self._args["by"]
        if by not in FILTERED_BY or self.key is None:
            raise InputError(f"rows: the interactions of a {by} group cannot be listed")
        return page_of(self._asker, {**self._args, by: self.key}, first, after)


@strawberry.type(description="A failed or unhappy interaction and why")
class Failure:
    interaction_id: str
    ts: str | None
    user: str | None
    subject: str | None
    question: str | None
    outcome: str | None
    reason: str
    error: str | None
    rating: str | None
    satisfaction: float | None
    response_ms: float | None


@strawberry.type(description="How many interactions failed for one reason")
class ReasonCount:
    reason: str
    count: int


@strawberry.type(description="Failed and unhappy interactions, newest first, and the reasons")
class Failures:
    total: int
    reasons: list[ReasonCount]
    rows: list[Failure]

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Failures:
        """The type from the interactions_failures answer."""
        reasons = [ReasonCount(reason=k, count=v) for k, v in answer["reasons"].items()]
        rows = [from_row(Failure, row) for row in answer["rows"]]
        return cls(total=answer["total"], reasons=reasons, rows=rows)
