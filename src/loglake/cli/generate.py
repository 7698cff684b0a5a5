"""`loglake generate …`: seeded logs with known truth, for demos, tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from loglake.cli.common import err, handle_errors


@click.group()
def generate() -> None:
    """Write seeded, realistic logs with a truth file of exact counts."""


@generate.command("app")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="Folder to write."
)
@click.option("--requests", type=int, default=5000, show_default=True, help="Requests served.")
@click.option("--users", type=int, default=200, show_default=True, help="Distinct users.")
@click.option("--minutes", type=int, default=60, show_default=True, help="Time span.")
@click.option(
    "--start", default="2026-11-30T10:00:00Z", show_default=True, help="First minute, UTC."
)
@click.option("--seed", type=int, default=13, show_default=True, help="Random seed.")
@click.option(
    "--json-array",
    is_flag=True,
    help="Write the service's records as one JSON array file per minute, named by time.",
)
@handle_errors
def app(
    output: Path, requests: int, users: int, minutes: int, start: str, seed: int, json_array: bool
) -> None:
    """A service's pino JSON log, its nginx access log and two workers' logs (Java stack
    traces, Python tracebacks) of the same traffic, with truth.json."""
    from loglake.generate.app import AppSpec, generate_app

    spec = AppSpec(
        seed=seed,
        requests=requests,
        users=users,
        start=start,
        minutes=minutes,
        json_array=json_array,
    )
    truth = generate_app(spec, output)
    events = sum(f["events"] for f in truth["files"].values())
    err(f"wrote {truth['requests']:,} requests, {events:,} events in {len(truth['files'])} logs")
    err(f"to {output} (exact counts: {output / 'truth.json'})")


@generate.command("interactions")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="Folder to write."
)
@click.option("--interactions", "count", type=int, default=2000, show_default=True,
              help="Questions asked.")  # fmt: skip
@click.option("--users", type=int, default=120, show_default=True, help="Distinct users.")
@click.option("--days", type=int, default=2, show_default=True, help="Days of traffic.")
@click.option("--start", default="2026-11-28", show_default=True, help="First day, UTC.")
@click.option("--seed", type=int, default=14, show_default=True, help="Random seed.")
@click.option("--ndjson", is_flag=True, help="One record per line instead of JSON arrays.")
@handle_errors
def interactions(
    output: Path, count: int, users: int, days: int, start: str, seed: int, ndjson: bool
) -> None:
    """An investment app's assistant (chatbot) logs, pino-style, one JSON array file per
    minute named by time, with truth.json: questions, failures, ratings, response times."""
    from loglake.generate.interactions import InteractionSpec, generate_interactions

    spec = InteractionSpec(
        seed=seed, interactions=count, users=users, days=days, start=start, ndjson=ndjson
    )
    truth = generate_interactions(spec, output)
    err(f"wrote {truth['interactions']:,} questions, {truth['records']:,} records")
    err(f"in {truth['files']:,} files to {output / 'chat'} (exact counts: {output / 'truth.json'})")


@generate.command("pg-demo")
@click.option(
    "--dsn",
    default=None,
    help="The database to fill (or LOGLAKE_PG_DSN); its demo tables are replaced.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=click.FloatRange(0.1, 100),
    default=1.0,
    show_default=True,
    help="Multiplies the workload's calls.",
)
@handle_errors
def pg_demo(dsn: str | None, seed: int, scale: float) -> None:
    """Create the live advisor's demo schema (orders, customers, events, accounts, inventory)
    with known bottlenecks in a PostgreSQL database, and run its workload."""
    from loglake.advisor.pg_connect import connect
    from loglake.config import load_settings
    from loglake.generate.pgdemo import analyze, build, run_workload

    settings = load_settings()
    timeout = settings.pg_statement_timeout_ms * 20
    with connect(dsn or settings.pg_dsn, timeout) as conn:
        build(conn, seed)
    with connect(dsn or settings.pg_dsn, timeout) as conn:  # the fill's counts are flushed
        analyze(conn)
        calls = run_workload(conn, seed, scale)
    err(f"built the demo tables and ran {sum(calls.values())} statements: {calls}")
