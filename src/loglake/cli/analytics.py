"""`loglake patterns`, `loglake search` and `loglake query`: questions from the terminal.

`patterns` and `search` are the commands of registered questions (cli/questions.py builds
them, options included); this module gives their text views.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

import click

from loglake.cli.common import data_option, err, handle_errors, open_analytics
from loglake.cli.questions import View


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _plan_mix(plans: dict[str, int], count: int) -> str:
    """The two commonest plans with their share, e.g. `COLLSCAN 80% IXSCAN 20%`."""
    top = list(plans.items())[:2]
    return " ".join(f"{name} {100 * n / max(count, 1):.0f}%" for name, n in top)


def show_patterns(result: dict[str, Any], as_json: bool) -> None:
    """Slow queries grouped into patterns (like `mloginfo --queries`), busiest first.

    Group by shape (default), query_hash, namespace, plan or app; filter like the API.
    """
    if as_json:
        click.echo(json.dumps(result))
        return
    from loglake.cli.render import Col, print_table

    by_shape = result["group_by"] == "shape"
    heads = ["namespace", "op", "pattern"] if by_shape else [result["group_by"]]
    columns = [Col(name, wide=3 if name == "pattern" else 0) for name in heads]
    columns += [Col(n, right=True) for n in ("count", "mean ms", "p95 ms", "max ms", "total s")]
    columns.append(Col("plans"))
    rows = [
        [
            *([row["namespace"], row["op"], row["shape"]] if by_shape else [row["key"]]),
            f"{row['count']:,}",
            _ms(row["avg_ms"]),
            _ms(row["p95_ms"]),
            _ms(row["max_ms"]),
            _ms(row["total_ms"] / 1000),
            _plan_mix(row["plans"], row["count"]),
        ]
        for row in result["rows"]
    ]
    print_table(f"Slow-query patterns by {result['group_by']}", columns, rows)
    err(f"{len(result['rows'])} of {result['groups']} patterns")


def show_search(result: dict[str, Any], as_json: bool) -> None:
    """Search every logged line for a keyword Q (with --regex, an RE2 regular expression).

    Smart case by default: case-insensitive unless Q has an upper-case letter.
    """
    if as_json:
        click.echo(json.dumps(result))
        return
    for row in result["rows"]:
        click.echo(f"{row.get('ts') or '-'} {row.get('severity') or '-'} {row['line']}")
    more = " (capped)" if result.get("capped") else ""
    err(f"{len(result['rows'])} shown of {result['total']:,} matching lines{more}")


@click.command()
@click.argument("sql_text", metavar="SQL")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--max-rows", type=click.IntRange(min=1), default=100, show_default=True, help="Table rows."
)
@handle_errors
def query(sql_text: str, root: str | None, fmt: str, max_rows: int) -> None:
    """Run ad-hoc SQL over the views slow_queries, authentications, connections, events."""
    from loglake.analytics.adhoc import run_sql

    analytics = open_analytics(root)
    columns, rows = run_sql(analytics.lake, sql_text)
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for name in columns:
            table.add_column(name)
        for row in rows[:max_rows]:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
        shown = min(len(rows), max_rows)
        err(
            f"{shown} of {len(rows)} rows"
            + (" (use --format csv for all)" if shown < len(rows) else "")
        )


COMMANDS = (query,)
VIEWS = {
    "patterns": View(show_patterns, "Print the patterns as JSON."),
    "search": View(show_search, "Print the page as JSON."),
}
