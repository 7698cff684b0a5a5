"""`loglake pg …`: the live PostgreSQL advisor — collect a snapshot, list the bottlenecks,
simulate a recommendation, ask about them."""

from __future__ import annotations

import json
from typing import Any

import click

from loglake.cli.common import data_option, err, handle_errors

DSN_OPTION = click.option(
    "--dsn",
    default=None,
    help="libpq connection string or postgresql:// URL (or LOGLAKE_PG_DSN); never printed.",
)


def _settings(root: str | None, dsn: str | None = None) -> Any:
    from loglake.config import load_settings

    settings = load_settings().with_options(root=root)
    return settings.with_options(pg_dsn=dsn) if dsn else settings


@click.group("pg")
def pg() -> None:
    """The live PostgreSQL advisor: pg_stat_statements, plans, rules, hypopg simulation."""


@pg.command("collect")
@data_option
@DSN_OPTION
@click.option(
    "--top",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Statements kept, costliest (total time) first.",
)
@click.option(
    "--explain-top",
    type=click.IntRange(0, 1000),
    default=20,
    show_default=True,
    help="Statements explained (and checked by the rules), costliest first.",
)
@click.option(
    "--min-mean-ms",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Leave out statements whose mean time is below this.",
)
@click.option(
    "--analyze",
    is_flag=True,
    help="EXPLAIN ANALYZE the SELECTs (runs them, in a rolled-back transaction).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def collect_command(
    root: str | None, dsn: str | None, top: int, explain_top: int, min_mean_ms: float,
    analyze: bool, as_json: bool,
) -> None:  # fmt: skip
    """Snapshot a server's statements, catalog, pg_stats and plans into the lake, with the
    rules' recommendations (index candidates checked with hypopg)."""
    from loglake.advisor.pg_collect import collect

    settings = _settings(root, dsn)
    report = collect(settings, top=top, explain_top=explain_top, min_mean_ms=min_mean_ms,
                     analyze=analyze)  # fmt: skip
    if as_json:
        click.echo(json.dumps(report))
        return
    err(
        f"snapshot {report['snapshot_id']} of {report['server']}: {report['statements']} "
        f"statements ({report['explained']} explained: {report['params_sources']}), "
        f"{report['tables']} tables, {report['indexes']} indexes, "
        f"{report['recommendations']} recommendations {report['by_type']} "
        f"in {report['seconds']:.2f} s"
    )
    for note in report["notes"]:
        err(f"Note: {note}")


@pg.command("bottlenecks")
@data_option
@click.option(
    "--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Statements listed."
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@handle_errors
def bottlenecks_command(root: str | None, limit: int, as_json: bool) -> None:
    """The costliest statements of the newest snapshot: why, the DDL, confidence and risk
    (the answer of GET /api/pg/bottlenecks)."""
    from loglake.cli.common import open_analytics

    answer = open_analytics(root).ask("pg_bottlenecks", {"limit": str(limit)})
    if as_json:
        click.echo(json.dumps(answer))
        return
    if answer["snapshot"] is None:
        err(answer["message"])
        return
    snap = answer["snapshot"]
    click.echo(f"Bottlenecks of {snap['server']} at {snap['captured_at']} (copyable DDL):")
    for i, row in enumerate(answer["rows"], 1):
        click.echo(f"\n{i}. {row['query_id']}  {row['query'][:100]}")
        click.echo(f"   why: {row['reason']}")
        if row["ddl"]:
            click.echo(f"   do:  {row['ddl']}")
            click.echo(
                f"        {row['type']}, confidence {row['confidence']:.2f}; risk: {row['risk']}"
            )
    for finding in answer["index_findings"]:
        click.echo(f"\nindex {finding['target']}: {finding['rationale']}\n   do:  {finding['ddl']}")


@pg.command("simulate")
@data_option
@DSN_OPTION
@click.option("--query", "query_id", required=True, help="The statement's query_id.")
@click.option("--rec", "rec_id", required=True, help="The recommendation's rec_id.")
@click.option(
    "--mode",
    type=click.Choice(["hypopg", "real"]),
    default="hypopg",
    show_default=True,
    help="Hypothetical index, or a real one on sandbox copies.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the simulation as JSON.")
@handle_errors
def simulate_command(
    root: str | None, dsn: str | None, query_id: str, rec_id: str, mode: str, as_json: bool
) -> None:
    """Plan a statement before and after a recommendation: costs, %Δ, plan changes."""
    from loglake.advisor.pg_simulate import simulate

    result = simulate(_settings(root, dsn), query_id, rec_id, mode)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{result['ddl']}")
    click.echo(f"cost {result['before_cost']:,.1f} -> {result['after_cost']:,.1f} "
               f"({result['improvement_pct']:+.1f}% less)")  # fmt: skip
    for change in result["plan_changes"]:
        click.echo(f"  {change}")
    if result["stored"]:
        err(f"kept in the lake as simulation {result['simulation_id']}")
    else:
        err(f"Note: {result['note']}")


@pg.command("ask")
@click.argument("question")
@data_option
@DSN_OPTION
@click.option("--query", "query_id", default=None, help="The statement asked about.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@handle_errors
def ask_command(
    question: str, root: str | None, dsn: str | None, query_id: str | None, as_json: bool
) -> None:
    """Ask about the snapshots ("why is query X slow?", "what index should I add?", "show
    impact", "what changed since yesterday?"): answers cite the stored facts."""
    from loglake.advisor.pg_chat import chat
    from loglake.advisor.pg_simulate import simulate
    from loglake.cli.common import open_analytics

    settings = _settings(root, dsn)
    analytics = open_analytics(root)

    def run(qid: str, rid: str) -> dict[str, Any]:
        return simulate(settings, qid, rid)

    with analytics.lake.snapshot() as cur:
        answer = chat(cur, question, query_id, run if settings.pg_dsn else None)
    if as_json:
        click.echo(json.dumps(answer))
        return
    click.echo(answer["answer"])
    for fact in answer["facts"]:
        click.echo(f"  - {fact}")
