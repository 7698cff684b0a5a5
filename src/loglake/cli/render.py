"""Human-readable output of the CLI (rich tables on stdout)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

_console = Console()


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
    bad = report["bad_lines"]
    if bad["total"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in bad.items() if k != "total")
        _console.print(
            f"[yellow]{bad['total']:,} bad lines skipped[/] ({reasons}); samples: `loglake status`"
        )


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
