"""Human-readable output of the CLI: rich tables on a terminal, tab-separated when piped."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

_console = Console()


@dataclass(frozen=True)
class Col:
    """A column of `print_table`: its heading, and how it behaves in a terminal."""

    name: str
    right: bool = False  # numbers: right-aligned, never wrapped
    wide: int = 0  # >0: takes this share of the width left, folding long text


def piped() -> bool:
    """True when stdout is not a terminal (a pipe or a file): print plain columns."""
    return not sys.stdout.isatty()


def _cell(value: Any, pretty: bool = True) -> str:
    """A cell's text; numbers get thousands separators in a terminal only (piped: plain)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if pretty else str(value)
    if isinstance(value, float):
        return f"{value:,.6g}" if pretty else repr(value)
    return str(value)


def metric_cell(value: Any) -> str:
    """A metric's text in a question's table: thousands separators, one decimal."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, columns: Sequence[Col], rows: Sequence[Sequence[Any]]) -> None:
    """A table as wide as the terminal, or, when piped, a header and one tab-separated line
    per row (tabs and line breaks in cells become spaces), ready for cut, sort and awk."""
    if piped():
        clean = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
        click.echo("\t".join(c.name for c in columns))
        for row in rows:
            click.echo("\t".join(_cell(v, pretty=False).translate(clean) for v in row))
        return
    table = Table(title=title)  # rich reads the terminal's width (and $COLUMNS)
    for c in columns:
        if c.wide:
            table.add_column(c.name, overflow="fold", ratio=c.wide, min_width=12)
        else:
            table.add_column(c.name, justify="right" if c.right else "left", no_wrap=c.right)
    for row in rows:
        table.add_row(*(Text(_cell(v)) for v in row))  # Text: log text is never markup
    Console().print(table)


def _mb(nbytes: float) -> str:
    """A size for people: 512 B, 12.3 KB, 45.6 MB, 1.2 GB."""
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if nbytes >= factor:
            return f"{nbytes / factor:,.1f} {unit}"
    return f"{nbytes:,.0f} B"


def print_ingest_report(report: dict[str, Any]) -> None:
    """The summary printed after an ingest."""
    seconds = report["seconds"] or 1e-9
    _console.print(
        f"[bold]Ingest {report['ingest_id']}[/] -> dataset version {report['dataset_version']}: "
        f"{_mb(report['bytes'])} in {report['seconds']:.2f}s "
        f"({report['bytes'] / 1e6 / seconds:,.1f} MB/s)"
    )
    rows = Table("stream", "rows", title="Rows written")
    for name, count in report["rows"].items():
        rows.add_row(name, f"{count:,}")
    _console.print(rows)
    files = Table("file_id", "path", "format", "status", "lines", "bad", title="Files")
    for f in report["files"]:
        files.add_row(
            f["file_id"],
            f["path"],
            f["format"] or "-",
            f["status"],
            f"{f['lines']:,}",
            f"{f['bad_lines']:,}",
        )
    _console.print(files)
    _print_fields(report["files"])
    bad = report["bad_lines"]
    if bad["total"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in bad.items() if k != "total")
        _console.print(
            f"[yellow]{bad['total']:,} bad lines skipped[/] ({reasons}); samples: `loglake status`"
        )
    hooks = report.get("hooks")
    if hooks and (hooks["dropped"] or hooks["error_total"]):
        failed = "; ".join(f"{s['hook']} at offset {s['file_offset']}: {s['error']}"
                           for s in hooks["error_samples"][:3])  # fmt: skip
        _console.print(
            f"Hooks: {hooks['dropped']:,} records dropped, {hooks['error_total']:,} hook errors"
            + (f" (kept unchanged; {failed})" if failed else ""),
            markup=False,
        )


def _print_fields(files: list[dict[str, Any]]) -> None:
    """Which field fills which column, for the files whose format detected it."""
    for f in files:
        if f.get("fields"):
            pairs = ", ".join(f"{column}={field}" for column, field in f["fields"].items())
            _console.print(f"Fields of {f['path'] or f['file_id']}: {pairs}", markup=False)


def print_status(info: dict[str, Any]) -> None:
    """`loglake status`."""
    _console.print(
        f"[bold]{info['root']}[/]  dataset version {info['dataset_version']}, "
        f"updated {info['updated']}"
    )
    streams = Table("stream", "rows", "partitions", "files", "size", title="Streams")
    for name, s in info["streams"].items():
        dates = sorted(s["partitions"])
        span = f"{dates[0]} .. {dates[-1]} ({len(dates)})" if dates else "-"
        streams.add_row(name, f"{s['rows']:,}", span, str(s["files"]), _mb(s["bytes"]))
    _console.print(streams)
    tiers = Table("tier", "rows", "files", "size", "where", title="Tiers")
    for name, t in info["tiers"].items():
        tiers.add_row(
            name, f"{t['rows']:,}", str(t["files"]), _mb(t["bytes"]), t.get("root") or info["root"]
        )
    _console.print(tiers)
    files = Table("file_id", "path", "format", "size", "lines", title="Source files")
    for f in info["files"]:
        files.add_row(
            f["file_id"],
            str(f["path"] or "<stdin copy>"),
            str(f["format"]),
            _mb(f["size"] or 0),
            f"{f['lines'] or 0:,}",
        )
    _console.print(files)
    _print_fields(info["files"])
    profile = (info.get("interactions") or {}).get("profile")
    if profile:
        roles = Table("role", "field", "how", title="Assistant interactions: fields by role")
        for role, entry in profile.items():
            roles.add_row(role, str(entry["field"] or "-"), entry["how"])
        _console.print(roles)
    ingests = Table("ingest", "finished", "size", "seconds", "events", "bad", title="Ingests")
    for ing in info["ingests"]:
        timings = ing.get("timings") or {}
        ingests.add_row(
            ing["ingest_id"],
            str(ing["finished"]),
            _mb(ing["bytes"] or 0),
            str(timings.get("total", "-")),
            f"{ing['rows']['events']:,}",
            f"{ing['bad_lines']['total']:,}",
        )
    _console.print(ingests)
    for ing in info["ingests"][-1:]:
        for sample in ing.get("bad_samples") or []:
            _console.print(
                f"  bad line ({sample['reason']}) {sample['file_id']} @ {sample['file_offset']}: "
                f"{sample['preview']!r}",
                markup=False,
            )


def print_summary(summary: dict[str, Any]) -> None:
    """`loglake summaries`."""
    slow = summary.get("slow_queries")
    if slow:
        _console.print(
            f"[bold]Slow queries[/]: {slow['count']:,} "
            f"totalling {slow['total_duration_ms']:,.0f} ms"
            f" (p50 {slow['p50_ms']:.0f} ms, p95 {slow['p95_ms']:.0f} ms, "
            f"p99 {slow['p99_ms']:.0f} ms) from {slow['first_ts']} to {slow['last_ts']}"
        )
        plans = Table("plan", "count", "total ms", title="Plans")
        for p in summary.get("plans", []):
            plans.add_row(p["plan"], f"{p['count']:,}", f"{p['total_ms']:,.0f}")
        _console.print(plans)
        ns = Table("namespace", "count", "total ms", "p95 ms", title="Top namespaces")
        for n in summary.get("namespaces", []):
            ns.add_row(
                str(n["namespace"]),
                f"{n['count']:,}",
                f"{n['total_ms']:,.0f}",
                f"{n['p95_ms']:,.0f}",
            )
        _console.print(ns)
    else:
        _console.print("No slow queries in this dataset.")
    auth = summary.get("authentications")
    if auth:
        _console.print(
            f"[bold]Authentication[/]: {auth['success']:,} succeeded, {auth['failure']:,} failed"
        )
    conns = summary.get("connections")
    if conns:
        _console.print(
            f"[bold]Connections[/]: {conns['accepted']:,} accepted, {conns['ended']:,} ended, "
            f"peak {conns['peak_open']} open, {conns['unique_hosts']} client hosts"
        )
