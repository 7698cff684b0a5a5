"""`loglake templates`: the text view of the templates question (cli/questions.py builds the
command and its options from the registry)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from loglake.cli.common import err
from loglake.cli.questions import View

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """Counts as a line of block characters (an empty bucket is the lowest bar)."""
    top = max(values, default=0)
    if not top:
        return ""
    return "".join(_BARS[0] if not v else _BARS[1 + (v * 6) // top] for v in values)


def _levels(levels: dict[str, int]) -> str:
    return " ".join(f"{name or '-'} {n:,}" for name, n in list(levels.items())[:3])


def show_templates(result: dict[str, Any], as_json: bool) -> None:
    """Message templates mined at ingest, commonest first: count, share, levels, trend.

    Filter like the API (time range, level, component, text in the template). Piped, the
    table is tab-separated columns.
    """
    if as_json:
        click.echo(json.dumps(result))
        return
    heads = ("template_id", "count", "share", "levels", "trend", "source", "template")
    lines = [
        (
            row["template_id"],
            f"{row['count']:,}",
            f"{100 * row['share']:.1f}%",
            _levels(row["levels"]),
            sparkline(row["trend"]),
            row["source"] or "",
            row["template"] if row["template"] is not None else row["example"] or "",
        )
        for row in result["rows"]
    ]
    if not sys.stdout.isatty():
        click.echo("\t".join(heads))
        for line in lines:
            click.echo("\t".join(value.replace("\t", " ") for value in line))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Message templates")
        for name in heads:
            wide = name == "template"
            right = name in ("count", "share")
            table.add_column(
                name,
                overflow="fold",
                justify="right" if right else "left",
                no_wrap=name in ("count", "share", "trend"),
                min_width=30 if wide else None,
                ratio=1 if wide else None,
            )
        for line in lines:
            table.add_row(*line)
        Console().print(table)
    err(f"{len(lines)} templates of {result['total']:,} events")


VIEWS = {"templates": View(show_templates, "Print the templates as JSON.")}
