"""Text views of the PostgreSQL question commands (`loglake top-queries`, `pg-…`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from loglake.cli.questions import View

Columns = Sequence[tuple[str, str]]  # (heading, key of a row)


def _table(title: str, rows_key: str, columns: Columns, totals: Columns, doc: str) -> View:
    """A view printing an answer's totals and its rows as a table (or JSON with --json)."""

    def show(answer: dict[str, Any], as_json: bool) -> None:
        if as_json:
            click.echo(json.dumps(answer))
            return
        from rich.console import Console
        from rich.table import Table

        from loglake.cli.render import metric_cell

        head = ", ".join(f"{label} {metric_cell(answer.get(key))}" for label, key in totals)
        table = Table(title=f"{title} ({head})" if head else title)
        for i, (heading, _) in enumerate(columns):  # the first column (text) takes the room
            if i == 0:
                table.add_column(heading, overflow="fold", ratio=1, min_width=24)
            else:
                table.add_column(heading, overflow="fold", max_width=40)
        for row in answer.get(rows_key) or []:
            table.add_row(*(metric_cell(row.get(key)) for _, key in columns))
        Console().print(table)

    show.__doc__ = doc
    return View(show, "Print the answer as JSON.")


def _views() -> dict[str, View]:
    spec: dict[str, tuple[str, str, Columns, Columns, str]] = {
        "top_queries": (
            "Top normalized statements", "rows",
            (("query", "shape"), ("table", "table"), ("count", "count"), ("total ms", "total_ms"),
             ("mean ms", "avg_ms"), ("max ms", "max_ms"), ("share %", "share_pct")),
            (("statements", "count"), ("total ms", "total_ms"), ("normalized", "normalized")),
            "Normalized statements (PostgreSQL by default), costliest first, like pgBadger.",
        ),
        "errors": (
            "Errors", "rows",
            (("SQLSTATE", "code"), ("level", "level"), ("message", "message"),
             ("count", "count"), ("last", "last_ts"), ("statement", "example_statement")),
            (("total", "total"),),
            "ERROR, FATAL and PANIC records by SQLSTATE and message.",
        ),
        "lock_waits": (
            "Lock waits", "rows",
            (("statement", "statement"), ("mode", "mode"), ("waits", "count"),
             ("total ms", "total_wait_ms"), ("max ms", "max_wait_ms")),
            (("waits", "waits"), ("acquired", "acquired"), ("deadlocks", "deadlocks")),
            "Lock waits by statement and mode, locks acquired after a wait, deadlocks.",
        ),
        "temp_files": (
            "Temporary files", "rows",
            (("statement", "statement"), ("files", "count"), ("total bytes", "total_bytes"),
             ("max bytes", "max_bytes")),
            (("files", "count"), ("bytes", "total_bytes")),
            "Temporary files by the statement that wrote them.",
        ),
        "checkpoints": (
            "Checkpoints started", "reasons", (("reason", "reason"), ("count", "count")),
            (("completed", "count"), ("buffers", "buffers"), ("total s", "total_s")),
            "Checkpoints: how many, buffers written, times, WAL files, reasons.",
        ),
        "autovacuum": (
            "Autovacuum", "rows",
            (("table", "table"), ("vacuums", "vacuums"), ("analyzes", "analyzes"),
             ("tuples removed", "tuples_removed"), ("pages removed", "pages_removed"),
             ("seconds", "elapsed_s")),
            (("vacuums", "vacuums"), ("analyzes", "analyzes")),
            "Automatic vacuums and analyzes per table.",
        ),
        "sessions": (
            "Sessions", "rows",
            (("key", "key"), ("sessions", "sessions"), ("total ms", "total_ms"),
             ("mean ms", "avg_ms"), ("max ms", "max_ms")),
            (("by", "by"), ("sessions", "sessions")),
            "Sessions and their durations per database, user, application or host.",
        ),
    }  # fmt: skip
    return {name: _table(*args) for name, args in spec.items()}


VIEWS: dict[str, View] = _views()
__all__: list[str] = ["VIEWS"]
