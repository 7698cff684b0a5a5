"""`loglake report`: the lake as one self-contained HTML file (web/report renders it)."""

from __future__ import annotations

from pathlib import Path

import click

from loglake.cli.common import err, handle_errors, open_analytics


@click.command()
@click.option(
    "--data",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Dataset root (default: $LOGLAKE_ROOT or ./loglake-data).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    default="report.html",
    show_default=True,
    help="The HTML file to write ('-' for stdout).",
)
@click.option("--title", default=None, help="The report's title (default: loglake report).")
@handle_errors
def report(root: str | None, out: str, title: str | None) -> None:
    """Write one self-contained HTML report of the lake (PostgreSQL, MongoDB), like pgBadger's."""
    from loglake.web.report import render_report

    html = render_report(open_analytics(root), title)
    if out == "-":
        click.echo(html)
        return
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)  # a reader never sees half a report
    err(f"Wrote {target} ({len(html.encode()):,} bytes)")
