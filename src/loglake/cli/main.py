"""The `loglake` command line. Heavy imports happen inside commands to keep --help fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from loglake import __version__
from loglake.cli.alerts import ALERTS_OPTION
from loglake.cli.common import data_option, err, handle_errors, warn
from loglake.config import COMPRESSIONS, Settings, load_settings
from loglake.errors import ConfigError

if TYPE_CHECKING:
    from loglake.cli.questions import View


class Commands(click.Group):
    """The `loglake` group: its own commands, plus one per question registered with a command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted (the registry is read only here and for its commands)."""
        from loglake.analytics.registry import QUESTIONS

        return sorted({*self.commands, *QUESTIONS.commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A command of the group, or the command of a registered question."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        from loglake.analytics.registry import QUESTIONS
        from loglake.cli.questions import question_command

        question = QUESTIONS.commands().get(cmd_name)
        if question is None:
            return None
        return question_command(cmd_name, question, _views().get(question.name))


class FormatChoice(click.Choice):  # type: ignore[type-arg]
    """The registered formats' names, read when first needed (not when `loglake` starts)."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        """The format names the registry holds now (a format registered later counts)."""
        from loglake.formats.registry import format_names

        return tuple(format_names())

    @choices.setter
    def choices(self, _value: object) -> None:
        """click.Choice assigns its choices; this one reads the registry instead."""


def _views() -> dict[str, View]:
    """The text views of question commands, by question name."""
    from loglake.cli.advisor import VIEWS as ADVISOR_VIEWS
    from loglake.cli.analytics import VIEWS
    from loglake.cli.postgres import VIEWS as POSTGRES_VIEWS
    from loglake.cli.templates import VIEWS as TEMPLATE_VIEWS

    return {**VIEWS, **ADVISOR_VIEWS, **TEMPLATE_VIEWS, **POSTGRES_VIEWS}


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="loglake")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
def cli(debug: bool) -> None:
    """loglake: turn large server logs into a Parquet log lake and ask it questions.

    Settings come from LOGLAKE_* environment variables (see the README); options override.
    """
    del debug


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@data_option
@click.option(
    "--format",
    "fmt",
    type=FormatChoice(),
    default=None,
    help="Skip format sniffing.",
)
@click.option(
    "--prefix",
    "pg_prefix",
    default=None,
    help="PostgreSQL log_line_prefix of stderr logs, in its % escapes (default: detected).",
)
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores).")
@click.option(
    "--executor",
    default=None,
    help="Where tasks run: local (the default) worker processes, or dask://HOST:PORT.",
)
@click.option("--chunk-rows", type=int, default=None, help="Rows buffered per worker per flush.")
@click.option(
    "--compression", type=click.Choice(COMPRESSIONS), default=None, help="Parquet codec (zstd)."
)
@click.option("--copy-source", is_flag=True, default=None, help="Keep a copy under ROOT/source/.")
@click.option("--force", is_flag=True, help="Override another ingest's lock.")
@click.option(
    "--map",
    "field_map",
    default=None,
    help="Application logs: fields for columns, ts=when,user=actor.login (or a mapping file).",
)
@click.option(
    "--pattern",
    default=None,
    help="Read text lines with this regex's named groups (ts, level, message...); implies "
    "--format pattern.",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep ingesting what the files gain (survives rotation); stop with Ctrl-C.",
)
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Seconds between rounds."
)
@click.option(
    "--watch",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Poll the inputs (e.g. an s3:// prefix) every SECONDS and ingest new files; Ctrl-C stops.",
)
@click.option(
    "--hook",
    "hooks",
    multiple=True,
    help="A pre-ingest hook, module:function, that enriches or drops records (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@ALERTS_OPTION
@handle_errors
def ingest(
    paths: tuple[str, ...],
    root: str | None,
    fmt: str | None,
    pg_prefix: str | None,
    workers: int | None,
    executor: str | None,
    chunk_rows: int | None,
    compression: str | None,
    copy_source: bool | None,
    force: bool,
    field_map: str | None,
    pattern: str | None,
    follow: bool,
    interval: float,
    watch: float | None,
    hooks: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    alert_rules: str | None,
) -> None:
    """Ingest log files (files, directories, globs, .gz, s3:// prefixes/objects, or - for stdin).

    Every row keeps the offset of its line, so the original can always be read back.
    Re-ingesting a file adds nothing; a file that grew is ingested from where it ended.
    """
    from loglake.analytics.listeners import after_commit
    from loglake.cli.progress import IngestProgress
    from loglake.ingest.pipeline import ingest as run_ingest

    settings = load_settings().with_options(
        root=root,
        workers=workers,
        executor=executor,
        chunk_rows=chunk_rows,
        compression=compression,
        copy_source=copy_source,
        field_map=field_map,
        pattern=pattern,
        pg_prefix=pg_prefix,
        hooks=",".join(hooks) if hooks else None,
        alert_rules=alert_rules,
    )
    if settings.alert_rules:  # a broken rules file stops here, before anything is read
        from loglake.alerts.evaluate import file_rules

        file_rules(settings)
    if settings.pattern and fmt is None:
        fmt = "pattern"
    from loglake.cli.render import print_ingest_report

    def show(report: dict[str, object]) -> None:
        if as_json:
            click.echo(json.dumps(report), nl=True)
            sys.stdout.flush()
        else:
            print_ingest_report(report)

    if watch is not None and watch <= 0:
        raise ConfigError(f"--watch takes a positive number of seconds, not {watch:g}")
    if follow or watch is not None:
        _follow(list(paths), settings, fmt, force, watch or interval, show)
        return
    with IngestProgress(enabled=not quiet) as progress:
        report = run_ingest(
            list(paths),
            settings,
            fmt=fmt,
            force=force,
            progress=progress.update,
            warn=warn,
            listeners=after_commit(settings),
        )
    show(report)
    from loglake.alerts.outbox import after_ingest

    after_ingest(settings, warn)  # the alerts' notifications, after the lake is released


def _follow(
    paths: list[str],
    settings: Settings,
    fmt: str | None,
    force: bool,
    interval: float,
    show: Callable[[dict[str, Any]], None],
) -> None:
    import signal
    import threading

    from loglake.analytics.listeners import after_commit
    from loglake.ingest.follow import follow

    if "-" in paths:
        raise ConfigError("--follow reads files, not stdin")
    from loglake.alerts.outbox import Courier

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err(f"Following {', '.join(paths)} every {interval:g}s; Ctrl-C to stop.")
    courier = Courier(settings).start()  # alert notifications, beside the rounds
    try:
        rounds = follow(
            paths,
            settings,
            show,
            warn,
            fmt,
            force,
            interval,
            stop,
            listeners=after_commit(settings),
        )
    except KeyboardInterrupt:
        rounds = None
    finally:
        courier.stop()
    err("Stopped following." + (f" {rounds} rounds committed." if rounds is not None else ""))


@cli.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status(root: str | None, as_json: bool) -> None:
    """Show what the dataset holds: streams, partitions, files and recent ingests."""
    from loglake.cli.render import print_status
    from loglake.store.status import dataset_status

    settings = load_settings().with_options(root=root)
    info = dataset_status(settings.root)
    if as_json:
        click.echo(json.dumps(info, default=str))
    else:
        print_status(info)


@cli.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def summaries(root: str | None, as_json: bool) -> None:
    """Show the precomputed dataset summary (slow queries, auth, connections)."""
    from loglake.analytics.summaries import dataset_summary
    from loglake.cli.render import print_summary

    settings = load_settings().with_options(root=root)
    summary = dataset_summary(settings.root)
    if as_json:
        click.echo(json.dumps(summary, default=str))
    else:
        print_summary(summary)


def _add_commands() -> None:
    from loglake.cli.advisor_ask import COMMANDS as ASK_COMMANDS
    from loglake.cli.alerts import alerts
    from loglake.cli.analytics import COMMANDS
    from loglake.cli.generate import generate
    from loglake.cli.interactions import interactions
    from loglake.cli.logs import logs_command
    from loglake.cli.maintenance import COMMANDS as MAINTENANCE
    from loglake.cli.pg import pg
    from loglake.cli.report import report
    from loglake.cli.serve import serve

    for command in (
        *COMMANDS,
        *ASK_COMMANDS,
        *MAINTENANCE,
        serve,
        generate,
        interactions,
        logs_command(),
        report,
        alerts,
        pg,
    ):
        cli.add_command(command)


_add_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="loglake")
