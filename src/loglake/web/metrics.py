"""Metrics and health over HTTP: `/metrics` (Prometheus text), `/api/metrics` (the same as
JSON), `/healthz` (liveness) and `/readyz` (the lake is readable). The metrics themselves
are `analytics/metrics.py`'s, one `Metrics` per app.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from loglake.analytics.metrics import Metrics
from loglake.analytics.service import Analytics
from loglake.errors import LoglakeError

ops = Blueprint("ops", __name__)

TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metrics() -> Metrics:
    metrics: Metrics = current_app.extensions["loglake_metrics"]
    return metrics


@ops.get("/metrics")
def prometheus_text() -> Response:
    """Prometheus' scrape target."""
    return Response(_metrics().text(), mimetype=None, content_type=TEXT_TYPE)


@ops.get("/api/metrics")
def metrics_json() -> Response:
    """The same metrics as JSON, for dashboards."""
    from loglake.web.api import json_response

    return json_response(_metrics().as_json())


@ops.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    from loglake.web.api import json_response

    return json_response({"ok": True, "status": "alive"})


@ops.get("/readyz")
def readyz() -> Response:
    """Readiness: the lake's manifest reads and the query engine opens it."""
    from loglake.web.api import json_error, json_response

    analytics: Analytics = current_app.extensions["loglake"]
    try:
        version = analytics.version()
    except (LoglakeError, OSError) as exc:
        return json_error(503, f"the lake is not readable: {exc}")
    return json_response({"ok": True, "status": "ready", "dataset_version": version})
