"""`loglake ask` (grounded answers) and `loglake current-op` (db.currentOp() analysis)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from loglake.cli.common import data_option, err, handle_errors, open_analytics


@click.command()
@click.argument("question")
@data_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer, facts and sources as JSON."
)
@handle_errors
def ask(question: str, root: str | None, as_json: bool) -> None:
    """Answer QUESTION from the lake's facts only, e.g. "why is shop.orders slow?".

    No language model: the question picks a template, filled with the numbers the lake's
    questions return; --json lists every fact with the question and parameters it came from.
    """
    from loglake.advisor.ask import answer

    result = answer(open_analytics(root), question)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(result["answer"])
    for example in result.get("can_ask", []):
        click.echo(f"  - {example}")
    if result.get("time_range"):
        span = result["time_range"]
        err(f"[{result['intent']}] time range {span['from']} .. {span['to']}; "
            f"{len(result['facts'])} facts (use --json to see them)")  # fmt: skip


@click.command("current-op")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--long-running-secs", type=float, default=5.0, show_default=True,
    help="Seconds after which a running op counts as long-running.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@handle_errors
def current_op(path: str, long_running_secs: float, as_json: bool) -> None:
    """Analyze saved db.currentOp() output (JSON or mongo-shell text; - for stdin)."""
    from loglake.advisor.current_op import analyze_current_op
    from loglake.errors import InputError

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    result = analyze_current_op(text, long_running_secs)
    if as_json:
        click.echo(json.dumps(result))
        return
    totals = result["totals"]
    click.echo(
        f"{totals['ops']} ops: {totals['long_running']} running over {long_running_secs:g}s, "
        f"{totals['lock_wait']} waiting for locks, {totals['collscan']} collection scans"
    )
    for row in result["long_running"] + [r for r in result["lock_waits"] if not r["long_running"]]:
        flags = [name for name in ("collscan", "lock_wait") if row[name]]
        click.echo(
            f"  opid {row['opid']} {row['secs_running']}s {row['op']} {row['ns'] or '-'} "
            f"{row['planSummary'] or ''} app={row['appName'] or '-'} client={row['client'] or '-'}"
            + (f" [{', '.join(flags)}]" if flags else "")
        )


COMMANDS = (ask, current_op)
