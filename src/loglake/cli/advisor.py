"""`loglake suggest-indexes` and `loglake analyze`: the text views of the advisor's commands.

The commands themselves are built from the question registry (cli/questions.py).
"""

from __future__ import annotations

import json
from typing import Any

import click

from loglake.cli.common import err
from loglake.cli.questions import View


def show_suggestions(result: dict[str, Any], as_json: bool) -> None:
    """Indexes that would help the slow queries (ESR rule), biggest impact first.

    Prints the createIndex commands with their rationale; filter like the API.
    """
    suggestions = result["suggestions"]
    if as_json:
        click.echo(json.dumps(suggestions))
        return
    from loglake.cli.render import Col, print_table

    columns = [
        Col("#", right=True),
        Col("namespace"),
        Col("keys", wide=1),
        *(Col(name, right=True) for name in ("impact s", "share", "conf.")),
        Col("why", wide=2),
    ]
    rows = [
        [
            str(n),
            s["namespace"],
            ", ".join(f"{name}: {direction}" for name, direction in s["keys"]),
            f"{s['impact_ms'] / 1000:,.1f}",
            f"{100 * s['share']:.1f}%",
            f"{s['confidence']:.2f}",
            s["rationale"],
        ]
        for n, s in enumerate(suggestions, 1)
    ]
    print_table("Index suggestions", columns, rows)
    for n, s in enumerate(suggestions, 1):  # plain lines, ready to paste into mongosh
        click.echo(f"// {n}. {s['namespace']}\n{s['command']}")
    for item in result["not_indexable"]:
        reasons = "; ".join(f"{r['what']}: {r['reason']}" for r in item["reasons"])
        err(f"not indexable: {item['namespace']} {item['op']} {item['shape']} ({reasons})")
    err(
        f"{len(suggestions)} suggestions from {result['candidates']} of "
        f"{result['patterns_considered']} patterns that scan, sort in memory or spill"
    )


def show_analysis(result: dict[str, Any], as_json: bool) -> None:
    """Slow-query patterns with heuristic findings (scans, in-memory sorts, regexes, ...)."""
    if as_json:
        click.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Slow-query analysis", show_lines=True)
    table.add_column("namespace", no_wrap=True)
    table.add_column("op", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("total s", justify="right")
    table.add_column("findings", overflow="fold", ratio=2)
    table.add_column("pattern", overflow="fold", ratio=2)
    for p in result["patterns"]:
        if not p["findings"]:
            continue
        table.add_row(
            p["namespace"] or "",
            p["op"] or "",
            f"{p['count']:,}",
            f"{p['total_ms'] / 1000:,.1f}",
            "\n".join(f"[{f['severity']}] {f['title']}" for f in p["findings"]),
            p["shape"] or "",
        )
    Console().print(table)
    counts = ", ".join(f"{n} {s}" for s, n in result["findings"].items())
    err(f"{len(result['patterns'])} of {result['groups']} patterns; findings: {counts}")


VIEWS = {
    "index_suggestions": View(show_suggestions, "Print the suggestions as a JSON array."),
    "analysis": View(show_analysis, "Print the analysis as JSON."),
}
