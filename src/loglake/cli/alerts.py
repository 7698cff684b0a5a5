"""`loglake alerts`: try a rule over history, list the alerts, acknowledge one."""

from __future__ import annotations

import json
from typing import Any

import click

from loglake.cli.common import data_option, handle_errors

ALERTS_OPTION = click.option(
    "--alerts",
    "alert_rules",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML alert rules evaluated after each commit (or LOGLAKE_ALERT_RULES).",
)


def _settings(root: str | None, alert_rules: str | None = None) -> Any:
    from loglake.config import load_settings
    from loglake.store.status import require_dataset

    settings = load_settings().with_options(root=root, alert_rules=alert_rules)
    require_dataset(settings.root)
    return settings


@click.group("alerts")
def alerts() -> None:
    """Alert rules on event time: try one over history, list fired alerts, acknowledge."""


def _when(name: str, raw: str | None) -> Any:
    from loglake.analytics.params import FROM, TO, parse_value

    if raw is None:
        return None
    return parse_value(FROM if name == "from" else TO, raw)


@alerts.command("test")
@click.argument("rule")
@data_option
@ALERTS_OPTION
@click.option("--from", "start", default=None, help="Start of the range (ISO 8601, inclusive).")
@click.option("--to", "end", default=None, help="End of the range (ISO 8601, exclusive).")
@click.option("--json", "as_json", is_flag=True, help="Print the transitions as JSON.")
@handle_errors
def test_command(
    rule: str,
    root: str | None,
    alert_rules: str | None,
    start: str | None,
    end: str | None,
    as_json: bool,
) -> None:
    """Show what RULE (a rule's name) would fire and resolve over the lake's rows.

    Event time, from a fresh state; nothing is logged or notified.
    """
    from loglake.alerts.evaluate import find_rule, try_rule

    settings = _settings(root, alert_rules)
    found = try_rule(settings, find_rule(settings, rule), _when("from", start), _when("to", end))
    if as_json:
        click.echo(json.dumps(found))
        return
    for record in found:
        click.echo(_line(record))
    fired = sum(r["status"] == "firing" for r in found)
    click.echo(f"{fired} fired, {len(found) - fired} resolved")


def _line(record: dict[str, Any]) -> str:
    group = f" [{record['group']}]" if record.get("group") else ""
    return f"{record['at']}  {record['status']:<8} {record['rule']}{group}  value={record['value']}"


@alerts.command("list")
@data_option
@click.option(
    "--status", type=click.Choice(["open", "resolved", "all"]), default="all", help="Which alerts."
)
@click.option("--rule", default=None, help="One rule's alerts only.")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as JSON.")
@handle_errors
def list_command(root: str | None, status: str, rule: str | None, as_json: bool) -> None:
    """List the alerts fired in the lake, newest first (open = firing)."""
    from loglake.alerts.service import list_alerts

    found = list_alerts(_settings(root).root, status=status, rule=rule)
    if as_json:
        click.echo(json.dumps(found))
        return
    for alert in found:
        ack = " acked" if alert["acked"] else ""
        group = f" [{alert['group']}]" if alert["group"] else ""
        end = f" -> resolved {alert['resolved_at']}" if alert["resolved_at"] else ""
        click.echo(
            f"{alert['id']}  {alert['severity']:<8} {alert['rule']}{group}  "
            f"fired {alert['fired_at']}{end}{ack}"
        )
    if not found:
        click.echo("No alerts.")


@alerts.command("ack")
@click.argument("alert_id")
@data_option
@handle_errors
def ack_command(alert_id: str, root: str | None) -> None:
    """Acknowledge the alert ALERT_ID (its id in `loglake alerts list`)."""
    from loglake.alerts.service import ack

    alert = ack(_settings(root).root, alert_id)
    click.echo(f"Acknowledged {alert['id']} ({alert['rule']}, fired {alert['fired_at']}).")
