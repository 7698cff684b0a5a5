"""The GraphQL schema at /graphql: the interaction questions and log retrieval.

Every root field asks one registered question (`interactions_summary`, `logs`, …) through
the service layer, so answers equal the REST API's. A client selects the fields it wants;
depth, size and alias limits and the per-request question budget (`asker.py`) bound what
one document may cost. `sdl()` is the schema as served at /graphql/schema.graphql.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.scalar import ScalarDefinition

from loglake.errors import LoglakeError, NotFoundError
from loglake.web.gql.asker import Asker
from loglake.web.gql.types import (
    By,
    CountRow,
    FailureKind,
    Failures,
    Group,
    Interaction,
    InteractionFilter,
    InteractionPage,
    Interval,
    Long,
    Summary,
    Topic,
    TopQuestion,
    from_row,
    page_of,
)
from loglake.web.gql.types_logs import LogFilter, LogPage, TemplateFilter, TemplatePage

log = logging.getLogger(__name__)

MAX_DEPTH = 6  # topQuestions { interactions { rows { similar { rows { question } } } } }
MAX_TOKENS = 2000  # GraphiQL's own introspection query is about 250
MAX_ALIASES = 20
MASKED = "internal error; see the server log"


def _asker(info: strawberry.Info) -> Asker:
    asker: Asker = info.context["asker"]
    return asker


def _args(where: InteractionFilter | None) -> dict[str, Any]:
    return where.args() if where else {}


@strawberry.type(description="Questions over the lake: assistant interactions and the logs")
class Query:
    @strawberry.field(description="How many questions, users, failures; response time")
    def summary(self, info: strawberry.Info, filter: InteractionFilter | None = None) -> Summary:
        return Summary.of(_asker(info).ask("interactions_summary", _args(filter)))

    @strawberry.field(description="Interactions and unique users per day, week or month")
    def counts(
        self,
        info: strawberry.Info,
        interval: Interval = Interval.DAY,
        filter: InteractionFilter | None = None,
    ) -> list[CountRow]:
        args = {**_args(filter), "interval": interval.value}
        answer = _asker(info).ask("interactions_counts", args)
        return [from_row(CountRow, row) for row in answer["rows"]]

    @strawberry.field(description="The most common questions, near-duplicates grouped")
    def top_questions(
        self,
        info: strawberry.Info,
        limit: int = 20,
        filter: InteractionFilter | None = None,
    ) -> list[TopQuestion]:
        asker, args = _asker(info), _args(filter)
        answer = asker.ask("interactions_top_questions", {**args, "limit": limit})
        return [from_row(TopQuestion, r, _asker=asker, _args=args) for r in answer["rows"]]

    @strawberry.field(description="Key phrases (product, fund names) the questions mention")
    def topics(
        self,
        info: strawberry.Info,
        limit: int = 20,
        filter: InteractionFilter | None = None,
    ) -> list[Topic]:
        asker, args = _asker(info), _args(filter)
        answer = asker.ask("interactions_topics", {**args, "limit": limit})
        return [from_row(Topic, r, _asker=asker, _args=args) for r in answer["rows"]]

    @strawberry.field(description="Interactions per user, subject or model, the most first")
    def by(
        self,
        info: strawberry.Info,
        by: By = By.USER,
        limit: int = 20,
        filter: InteractionFilter | None = None,
    ) -> list[Group]:
        asker, args = _asker(info), _args(filter)
        answer = asker.ask("interactions_by", {**args, "by": by.value, "limit": limit})
        given = {**args, "by": by.value}
        return [from_row(Group, r, _asker=asker, _args=given) for r in answer["rows"]]

    @strawberry.field(description="Failed and unhappy interactions, newest first, with reasons")
    def failures(
        self,
        info: strawberry.Info,
        kind: FailureKind = FailureKind.ALL,
        limit: int = 50,
        filter: InteractionFilter | None = None,
    ) -> Failures:
        args = {**_args(filter), "kind": kind.value, "limit": limit}
        return Failures.of(_asker(info).ask("interactions_failures", args))

    @strawberry.field(description="Interactions newest first; `after` is the last nextCursor")
    def interactions(
        self,
        info: strawberry.Info,
        filter: InteractionFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> InteractionPage:
        return page_of(_asker(info), _args(filter), first, after)

    @strawberry.field(description="One interaction by its id (null: none has it)")
    def interaction(self, info: strawberry.Info, id: str) -> Interaction | None:
        asker = _asker(info)
        try:
            detail = asker.ask("interactions_detail", {"interaction_id": id})
        except NotFoundError:
            return None
        return Interaction.of(detail["interaction"], asker)

    @strawberry.field(description="Log records newest first; `after` is the last nextCursor")
    def logs(
        self,
        info: strawberry.Info,
        filter: LogFilter | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> LogPage:
        args = {**(filter.args() if filter else {}), "limit": first, "cursor": after}
        return LogPage.of(_asker(info).ask("logs", args))

    @strawberry.field(description="Message templates of the log records, commonest first")
    def templates(
        self,
        info: strawberry.Info,
        filter: TemplateFilter | None = None,
        limit: int = 100,
        buckets: int = 24,
    ) -> TemplatePage:
        args = {**(filter.args() if filter else {}), "limit": limit, "buckets": buckets}
        return TemplatePage.of(_asker(info).ask("templates", args))


def _should_mask(error: GraphQLError) -> bool:
    """Our own errors (bad input, not found) say what to do; anything else is masked."""
    return error.original_error is not None and not isinstance(error.original_error, LoglakeError)


class LakeSchema(strawberry.Schema):
    """The schema, logging only errors that are not the client's."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _should_mask(error):
                log.error("GraphQL resolver failed", exc_info=error.original_error)


SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long",
        serialize=int,
        parse_value=int,
        description="A 64-bit integer (byte offsets, token counts)",
    )
}
SCHEMA = LakeSchema(
    query=Query,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[  # factories: a fresh extension for each request
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED),
    ],
)


def sdl() -> str:
    """The schema in the GraphQL schema definition language."""
    return SCHEMA.as_str() + "\n"
