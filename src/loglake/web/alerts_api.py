"""The alerts API: `GET /api/alerts`, `POST /api/alerts/<id>/ack` and the rules,
`GET/POST /api/alerts/rules`, `GET/PUT/DELETE /api/alerts/rules/<name>`.

Rules sent here are validated as the rules file's (`alerts/rules.py`) and kept in the lake;
they count from the next evaluation. The token and CSRF rules are the app's (`security.py`):
a program sends JSON (`Content-Type: application/json`, DELETE included).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from loglake.errors import ConfigError, InputError, LoglakeError, NotFoundError
from loglake.web.api import _body, json_error, json_response

alerts_api = Blueprint("alerts_api", __name__)

_STATUS = {InputError: 400, ConfigError: 400, NotFoundError: 404}


@alerts_api.errorhandler(LoglakeError)
def _error(exc: LoglakeError) -> Response:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 503)
    return json_error(status, str(exc))


def _settings() -> Any:
    return current_app.config["LOGLAKE_SETTINGS"]


@alerts_api.get("/api/alerts")
def alerts() -> Response:
    """The alerts, newest first: ?status=open|resolved|all, ?rule=NAME, ?limit=N."""
    from loglake.alerts.service import list_alerts

    try:
        limit = int(request.args.get("limit", "1000"))
    except ValueError:
        raise InputError("limit: expected a whole number") from None
    if not 1 <= limit <= 10_000:
        raise InputError("limit: between 1 and 10000")
    found = list_alerts(
        _settings().root,
        status=request.args.get("status", "all"),
        rule=request.args.get("rule") or None,
        limit=limit,
    )
    return json_response({"alerts": found, "count": len(found)})


@alerts_api.post("/api/alerts/<alert_id>/ack")
def ack(alert_id: str) -> Response:
    """Acknowledge one alert."""
    from loglake.alerts.service import ack as ack_alert

    return json_response({"ok": True, "alert": ack_alert(_settings().root, alert_id)})


@alerts_api.get("/api/alerts/rules")
def rules() -> Response:
    """Every rule: the rules file's (`source: file`) and the lake's (`source: lake`)."""
    from loglake.alerts.service import list_rules

    return json_response({"rules": list_rules(_settings())})


@alerts_api.post("/api/alerts/rules")
def add_rule() -> Response:
    """Add a rule (the rules file's shape, as JSON); 201 with the rule as stored."""
    from loglake.alerts.service import put_rule

    return json_response({"ok": True, "rule": put_rule(_settings(), _body())}, 201)


@alerts_api.get("/api/alerts/rules/<name>")
def rule(name: str) -> Response:
    """One rule by name."""
    from loglake.alerts.service import list_rules

    found = [r for r in list_rules(_settings()) if r["name"] == name]
    if not found:
        raise NotFoundError(f"no alert rule {name!r}")
    return json_response({"rule": found[0]})


@alerts_api.put("/api/alerts/rules/<name>")
def replace_rule(name: str) -> Response:
    """Replace a lake rule."""
    from loglake.alerts.service import put_rule

    return json_response({"ok": True, "rule": put_rule(_settings(), _body(), name)})


@alerts_api.delete("/api/alerts/rules/<name>")
def delete_rule(name: str) -> Response:
    """Remove a lake rule."""
    from loglake.alerts.service import delete_rule as delete

    delete(_settings(), name)
    return json_response({"ok": True, "deleted": name})
