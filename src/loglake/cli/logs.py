"""`loglake logs`: retrieval from the terminal, one page at a time, or its aggregations.

The options are the parameters of the `logs` and `logs_aggregate` questions (the same names
and validation as `/api/logs`), plus `--field NAME=VALUE` for `field.NAME`. Any of
`--group-by`, `--facets`, `--histogram` or `--stats` asks for the aggregation instead of
rows. Times are shown in `--tz`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from loglake.cli.common import data_option, err, handle_errors, open_analytics
from loglake.cli.questions import _PREFIX, param_option
from loglake.cli.render import Col, print_table
from loglake.errors import InputError

_AGGREGATE_ONLY = ("group_by", "facets", "histogram", "bucket", "stats")


def _params() -> list[Any]:
    """The parameters of both questions, each once, in declaration order (no `field`)."""
    from loglake.analytics.registry import QUESTIONS

    seen: dict[str, Any] = {}
    for name in ("logs", "logs_aggregate"):
        for p in QUESTIONS[name].params:
            if p.kind != "fields":
                seen.setdefault(p.name, p)
    return list(seen.values())


def _local(ts: str | None, zone: Any) -> str:
    """An answer's UTC time in the chosen zone, to the millisecond."""
    if not ts:
        return ""
    value = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(zone)
    return value.isoformat(sep=" ", timespec="milliseconds")


def _show_rows(answer: dict[str, Any], zone: Any) -> None:
    columns = [Col("ts"), Col("level"), Col("source"), Col("user"), Col("message", wide=1)]
    rows = [
        [_local(r["ts"], zone), r["level"] or r["severity"], r["source"], r["user"], r["message"]]
        for r in answer["rows"]
    ]
    print_table("Log records, newest first", columns, rows)
    more = f"; next page: --cursor {answer['next_cursor']}" if answer["next_cursor"] else ""
    err(f"{len(rows):,} shown of {answer['total']:,} records{more}")


def _show_aggregate(answer: dict[str, Any], zone: Any) -> None:
    groups = answer["groups"]
    if groups:
        columns = [*(Col(f) for f in groups["fields"]), Col("count", right=True)]
        rows = [[*(g[f] for f in groups["fields"]), g["count"]] for g in groups["rows"]]
        print_table(f"Records by {', '.join(groups['fields'])}", columns, rows)
        err(f"{len(rows):,} of {groups['groups']:,} groups")
    for field, values in (answer["facets"] or {}).items():
        rows = [[v["value"], v["count"]] for v in values]
        print_table(f"Top {field}", [Col(field), Col("count", right=True)], rows)
    histogram = answer["histogram"]
    if histogram:
        rows = [[_local(b["t"], zone), b["count"]] for b in histogram["buckets"]]
        title = f"Records per {histogram['bucket_seconds'] or 0:g} s"
        print_table(title, [Col("from"), Col("count", right=True)], rows)
    stats = answer["stats"]
    if stats:
        names = ("count", "avg", "min", "p50", "p95", "max")
        rows = [[stats["field"], *(stats[n] for n in names)]]
        print_table("Statistics", [Col("field"), *(Col(n, right=True) for n in names)], rows)
    err(f"{answer['total']:,} records match")


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"--field {pair!r}: expected NAME=VALUE, e.g. status=500")
        out[f"field.{name}"] = value
    return out


def _ask(root: str | None, as_json: bool, field: tuple[str, ...], **options: Any) -> None:
    from loglake.analytics.params import parse_zone

    args = {k.removeprefix(_PREFIX): v for k, v in options.items() if v is not None}
    args.update(_fields(field))
    aggregate = any(args.get(name) for name in _AGGREGATE_ONLY)
    answer = open_analytics(root).ask("logs_aggregate" if aggregate else "logs", args)
    if as_json:
        click.echo(json.dumps(answer))
        return
    zone = parse_zone(args.get("tz"))
    (_show_aggregate if aggregate else _show_rows)(answer, zone)


def logs_command() -> click.Command:
    """The `loglake logs` command, its options generated from the two questions."""
    func: Any = handle_errors(_ask)
    func = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")(func)
    func = click.option(
        "--field",
        "field",
        multiple=True,
        metavar="NAME=VALUE",
        help="Any attrs field equals VALUE (field.NAME of the API; repeatable).",
    )(func)
    for p in reversed(_params()):
        func = param_option(p)(func)
    func = data_option(func)
    help_text = """Log records newest first, filtered by user, time, level, keyword, source,
    host, template, request id, tag or any field; with --group-by, --facets, --histogram or
    --stats, their counts instead. Piped, it prints tab-separated columns."""
    return click.command("logs", help=help_text)(func)
