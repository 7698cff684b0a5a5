"""The alerts page: open and resolved alerts, a timeline of when they held, their lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, redirect, request, url_for

from loglake.web.area import Area
from loglake.web.pages import guarded

area = Area("alerts", __name__, "Logs", template_folder="templates")

WIDTH, ROW = 900, 14
STATUSES = ("all", "open", "resolved")


def _us(text: str | None) -> float | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def timeline(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of an inline SVG: one row per rule, one bar per alert from fire to resolve."""
    spans = [(_us(a["fired_at"]) or 0.0, _us(a["resolved_at"])) for a in alerts]
    if not spans:
        return {"bars": [], "rules": [], "height": 0, "width": WIDTH}
    low = min(s for s, _ in spans)
    high = max(max(s, e or s) for s, e in spans)
    scale = (WIDTH - 1) / max(high - low, 1)
    rules = sorted({a["rule"] for a in alerts})
    bars = []
    for alert, (start, end) in zip(alerts, spans, strict=True):
        x = (start - low) * scale
        width = max(((end or high) - start) * scale, 2)
        row = rules.index(alert["rule"])
        bars.append({"x": round(x, 1), "y": row * ROW, "w": round(width, 1),
                     "severity": alert["severity"], "open": end is None, "id": alert["id"],
                     "title": f"{alert['rule']} {alert['group']} {alert['fired_at']}"})  # fmt: skip
    return {"bars": bars, "rules": rules, "height": len(rules) * ROW, "width": WIDTH,
            "first": alerts[-1]["fired_at"], "last": alerts[0]["fired_at"]}  # fmt: skip


@area.page("/alerts", "Alerts")
def alerts() -> Response:
    """Alerts newest first (open or resolved), a timeline, the lines each fired on."""
    from loglake.alerts.service import list_alerts

    def build() -> dict[str, Any]:
        status = request.args.get("status", "all")
        rule = request.args.get("rule") or None
        found = list_alerts(current_app.config["LOGLAKE_SETTINGS"].root, status=status, rule=rule)
        return {"alerts": found, "timeline": timeline(found), "shown": status,
                "statuses": STATUSES, "rule": rule or ""}  # fmt: skip

    return guarded("alerts/alerts", build, time_picker=False)


@area.post("/alerts/<alert_id>/ack")
def ack(alert_id: str) -> Response:
    """Acknowledge an alert from the page's form, then show the alerts again."""
    from loglake.alerts.service import ack as ack_alert

    ack_alert(current_app.config["LOGLAKE_SETTINGS"].root, alert_id)
    return redirect(url_for("alerts.alerts", status=request.args.get("status", "all")), 303)  # type: ignore[return-value]
