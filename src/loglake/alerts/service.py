"""The alerts people see: the alert log folded into alerts, acknowledgements, and the
rules added through the API (validated, kept in `alerts/rules.json`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from loglake.alerts import store
from loglake.alerts.evaluate import all_rules
from loglake.alerts.rules import parse_rule
from loglake.analytics.sql import iso
from loglake.config import Settings
from loglake.errors import InputError, NotFoundError

STATUSES = ("open", "resolved", "all")


def _fold(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    alerts: dict[str, dict[str, Any]] = {}
    for r in records:
        kind, alert = r.get("kind"), alerts.get(r.get("id", ""))
        if kind == "alert" and r["status"] == "firing":
            alerts[r["id"]] = {
                **{k: v for k, v in r.items() if k not in ("kind", "at", "notify")},
                "status": "firing", "resolved_at": None, "acked": False, "acked_at": None,
                "deliveries": [],
            }  # fmt: skip
        elif alert is None:
            continue
        elif kind == "alert":
            alert.update(status="resolved", resolved_at=r["at"], resolved_value=r["value"])
        elif kind == "ack":
            alert.update(acked=True, acked_at=r["at"])
        elif kind == "delivery":
            keep = ("status", "target", "ok", "attempts", "error", "at")
            alert["deliveries"].append({k: r.get(k) for k in keep})
    return alerts


def list_alerts(
    root: Path, status: str = "all", rule: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """The alerts, newest fire first: open ones (`firing`) and resolved ones."""
    if status not in STATUSES:
        raise InputError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    found = list(_fold(store.records(root)).values())
    if status != "all":
        found = [a for a in found if (a["status"] == "firing") == (status == "open")]
    if rule:
        found = [a for a in found if a["rule"] == rule]
    found.sort(key=lambda a: (a["fired_at"], a["id"]), reverse=True)
    return found[:limit]


def ack(root: Path, alert_id: str) -> dict[str, Any]:
    """Acknowledge one alert (again is harmless); the alert."""
    with store.alerts_lock(root):
        alert = _fold(store.records(root)).get(alert_id)
        if alert is None:
            raise NotFoundError(f"no alert {alert_id!r}; see `loglake alerts list`")
        if not alert["acked"]:
            now = iso(dt.datetime.now(dt.UTC))
            store.append(root, [{"kind": "ack", "id": alert_id, "at": now}])
            alert.update(acked=True, acked_at=now)
    return alert


# Rules ------------------------------------------------------------------------------------
def list_rules(settings: Settings) -> list[dict[str, Any]]:
    """Every rule as JSON, with `source`: `file` (the rules file) or `lake` (the API's)."""
    return [{**rule.to_dict(), "source": source} for rule, source in all_rules(settings)]


def put_rule(settings: Settings, raw: Any, name: str | None = None) -> dict[str, Any]:
    """Add a rule (name None) or replace the lake rule `name`; the rule as stored."""
    rule = parse_rule(raw)
    if name is not None and rule.name != name:
        raise InputError(f"name: the body names {rule.name!r}, the URL {name!r}")
    with store.alerts_lock(settings.root):
        current = {r["name"]: r for r in list_rules(settings)}
        known = current.get(rule.name)
        if known is not None and known["source"] == "file":
            raise InputError(
                f"rule {rule.name} is defined in {settings.alert_rules}; edit it there"
            )
        if name is None and known is not None:
            raise InputError(
                f"rule {rule.name} exists; PUT /api/alerts/rules/{rule.name} replaces it"
            )
        if name is not None and known is None:
            raise NotFoundError(f"no rule {name!r} in the lake; POST /api/alerts/rules adds one")
        stored = [r for r in store.load_lake_rules(settings.root) if r.get("name") != rule.name]
        stored.append(rule.to_dict())
        store.save_lake_rules(settings.root, stored)
    return {**rule.to_dict(), "source": "lake"}


def delete_rule(settings: Settings, name: str) -> None:
    """Remove a lake rule (NotFoundError when there is none by that name)."""
    with store.alerts_lock(settings.root):
        stored = store.load_lake_rules(settings.root)
        kept = [r for r in stored if r.get("name") != name]
        if len(kept) == len(stored):
            raise NotFoundError(f"no rule {name!r} in the lake (rules of the file stay there)")
        store.save_lake_rules(settings.root, kept)
