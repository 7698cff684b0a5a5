"""One `loglake` command per registered question that asks for one (analytics/registry.py).

Options are generated from the question's parameters, so the CLI accepts exactly what the
API accepts and validates it the same way. The answer is printed as JSON, unless the
command has a `View` (a text rendering; `--json` then prints JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from loglake.cli.common import data_option, handle_errors, open_analytics

if TYPE_CHECKING:
    from loglake.analytics.params import Param
    from loglake.analytics.registry import Question

_PREFIX = "p_"  # keeps parameter names apart from the command's own options


@dataclass(frozen=True)
class View:
    """How a command shows its answer: `show(answer, as_json)`, whose docstring is the help."""

    show: Callable[[dict[str, Any], bool], None]
    json_help: str


def _print_json(answer: dict[str, Any], as_json: bool) -> None:
    click.echo(json.dumps(answer))


def param_option(p: Param) -> Callable[[Any], Any]:
    """The click option of a question's parameter (`--min-ms`; booleans are flags)."""
    flag = "--" + p.name.replace("_", "-")
    if p.kind == "bool":
        return click.option(flag, _PREFIX + p.name, is_flag=True, default=None, help=p.help)
    help_text = p.help + (f" [default: {p.default}]" if p.default not in (None, False) else "")
    if p.kind == "enum":
        help_text += f" ({'|'.join(p.choices)})"
    return click.option(flag, _PREFIX + p.name, default=None, help=help_text)


def question_command(name: str, question: Question, view: View | None) -> click.Command:
    """The command `name`: asks the question with the options given and shows the answer."""
    show = view.show if view else _print_json
    argument = question.cli.argument if question.cli else None

    def ask(root: str | None, as_json: bool, **options: Any) -> None:
        args = {k.removeprefix(_PREFIX): v for k, v in options.items()}
        show(open_analytics(root).ask(question.name, args), as_json)

    func: Any = handle_errors(ask)
    json_help = view.json_help if view else "Print the answer as JSON."
    func = click.option("--json", "as_json", is_flag=True, help=json_help)(func)
    for p in reversed(question.params):
        if p.name != argument:
            func = param_option(p)(func)
    func = data_option(func)
    if argument:
        metavar = f"[{argument.upper()}]"
        func = click.argument(_PREFIX + argument, required=False, metavar=metavar)(func)
    help_text = view.show.__doc__ if view else question.summary
    return click.command(name, help=help_text)(func)
