"""Where alerts go: webhooks (a JSON POST), the log, and Python hooks (`module:function`).

A delivery never raises: its outcome (ok, or the error after the last attempt) is returned
and recorded in the alert log, so a receiver that is down never fails an ingest. A webhook
is tried `alert_webhook_attempts` times, `alert_webhook_timeout_ms` each, waiting
`alert_webhook_backoff_ms` before the second attempt and twice as long before each next one.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loglake.alerts.rules import Notify
from loglake.config import Settings

log = logging.getLogger("loglake.alerts")
USER_AGENT = "loglake-alerts"


@dataclass(frozen=True)
class Outcome:
    """How one delivery ended."""

    ok: bool
    attempts: int
    error: str = ""


def deliver(settings: Settings, target: Notify, payload: dict[str, Any]) -> Outcome:
    """Send one alert payload to one target; never raises."""
    if target.kind == "webhook":
        return _webhook(settings, target.target, payload)
    if target.kind == "hook":
        return _hook(target.target, payload)
    level = logging.WARNING if payload["status"] == "firing" else logging.INFO
    log.log(level, "alert %s %s [%s] group=%r value=%s at %s", payload["rule"],
            payload["status"], payload["severity"], payload["group"], payload["value"],
            payload["at"])  # fmt: skip
    return Outcome(True, 1)


def _webhook(settings: Settings, url: str, payload: dict[str, Any]) -> Outcome:
    body = json.dumps(payload).encode()
    attempts = settings.alert_webhook_attempts
    wait = settings.alert_webhook_backoff_ms / 1000
    error = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(  # noqa: S310 - the rule's own http(s) URL
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 - http(s) only (rules.py checks)
                request, timeout=settings.alert_webhook_timeout_ms / 1000
            ) as response:
                response.read()
            return Outcome(True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc)) or type(exc).__name__
        if attempt < attempts:
            time.sleep(wait)
            wait *= 2
    log.warning("alert webhook %s failed after %d attempts: %s", url, attempts, error)
    return Outcome(False, attempts, error)


def resolve_hook(target: str) -> Callable[[dict[str, Any]], Any]:
    """The callable a `module:function` names (ImportError/AttributeError when it cannot)."""
    module, _, name = target.partition(":")
    fn: Callable[[dict[str, Any]], Any] = getattr(importlib.import_module(module), name)
    return fn


def _hook(target: str, payload: dict[str, Any]) -> Outcome:
    try:
        resolve_hook(target)(payload)
    except Exception as exc:  # noqa: BLE001 - a user's hook may raise anything; it is recorded
        log.warning("alert hook %s raised %s: %s", target, type(exc).__name__, exc)
        return Outcome(False, 1, f"{type(exc).__name__}: {exc}")
    return Outcome(True, 1)
