"""`loglake interactions …`: the interaction questions of the registry as one command group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from loglake.cli.questions import View, question_command

# command -> (question, title, rows key, columns (heading, key))
_COMMANDS: dict[str, tuple[str, str, Sequence[tuple[str, str]]]] = {
    "summary": ("interactions_summary", "Assistant questions", ()),
    "counts": (
        "interactions_counts",
        "Questions over time",
        (("from", "bucket"), ("questions", "interactions"), ("users", "users"),
         ("failed", "failed"), ("avg ms", "avg_response_ms")),
    ),
    "top-questions": (
        "interactions_top_questions",
        "Most common questions",
        (("question", "question"), ("count", "count"), ("failed", "failed"),
         ("avg ms", "avg_response_ms")),
    ),
    "topics": ("interactions_topics", "Topics", (("topic", "topic"), ("count", "count"),
                                                 ("failed", "failed"))),
    "failures": (
        "interactions_failures",
        "Failed and unhappy answers",
        (("question", "question"), ("when", "ts"), ("user", "user"), ("reason", "reason"),
         ("error", "error")),
    ),
    "by": (
        "interactions_by",
        "Questions by",
        (("key", "key"), ("questions", "interactions"), ("failed", "failed"),
         ("avg ms", "avg_response_ms"), ("p95 ms", "p95_response_ms")),
    ),
    "list": (
        "interactions",
        "Questions, newest first",
        (("question", "question"), ("when", "ts"), ("user", "user"), ("subject", "subject"),
         ("outcome", "outcome"), ("ms", "response_ms")),
    ),
    "show": ("interactions_detail", "", ()),
}  # fmt: skip


def _view(title: str, columns: Sequence[tuple[str, str]], doc: str) -> View:
    def show(answer: dict[str, Any], as_json: bool) -> None:
        if as_json or not columns:
            click.echo(json.dumps(answer, indent=None if as_json else 2))
            return
        from rich.console import Console
        from rich.table import Table

        from loglake.cli.render import metric_cell

        table = Table(title=title)
        for i, (heading, _) in enumerate(columns):
            table.add_column(heading, overflow="fold", ratio=1 if i == 0 else None)
        for row in answer.get("rows") or []:
            table.add_row(*(metric_cell(row.get(key)) for _, key in columns))
        Console().print(table)

    show.__doc__ = doc
    return View(show, "Print the answer as JSON (the API's shape).")


class _Group(click.Group):
    """The subcommands, read from the registry when asked for (keeps --help fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name."""
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command asking one interaction question."""
        if cmd_name not in _COMMANDS:
            return None
        from loglake.analytics.registry import QUESTIONS

        name, title, columns = _COMMANDS[cmd_name]
        question = QUESTIONS[name]
        return question_command(cmd_name, question, _view(title, columns, question.summary))


@click.group("interactions", cls=_Group)
def interactions() -> None:
    """What people ask an app's assistant (chatbot logs): counts, top questions, topics,
    failures, response times (the same answers as /api/interactions/...)."""
