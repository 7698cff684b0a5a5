"""The Flask application factory: one Analytics per app, the API, the page areas, security."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.web.security import (
    check_exposure,
    csrf_problem,
    given_token,
    new_csrf_token,
    same_secret,
    secure,
    set_token_cookie,
)

MAX_REQUEST_BYTES = 1024 * 1024  # JSON API bodies and forms; uploads get their own limit
OPEN_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz"})  # probes carry no token
STATIC_MAX_AGE = 3600  # vendored files change only with a release

__all__ = ["MAX_REQUEST_BYTES", "check_exposure", "create_app"]


def _is_api() -> bool:
    """A request whose errors are JSON: the API, and GraphQL but for its GraphiQL page."""
    if request.path.startswith("/graphql"):
        return request.method != "GET" or "query" in request.args or request.path != "/graphql"
    return request.path.startswith("/api/") or request.path == "/api"


def create_app(settings: Settings) -> Flask:
    """The loglake web application over the dataset at settings.root."""
    from loglake.alerts.metrics import AlertCollector
    from loglake.alerts.outbox import Courier
    from loglake.analytics.listeners import after_commit
    from loglake.analytics.metrics import Metrics
    from loglake.ingest.batcher import PushBatcher
    from loglake.web.alerts_api import alerts_api
    from loglake.web.api import api
    from loglake.web.blueprints import BLUEPRINTS
    from loglake.web.metrics import ops
    from loglake.web.pg_api import pg_api
    from loglake.web.templating import setup_templating
    from loglake.web.upload import IngestJobs, upload

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    app.config["LOGLAKE_SETTINGS"] = settings
    app.config["LOGLAKE_CSRF"] = new_csrf_token()
    app.extensions["loglake"] = Analytics(settings)
    app.extensions["loglake_jobs"] = IngestJobs(settings)
    metrics = app.extensions["loglake_metrics"] = Metrics(
        settings.root, app.extensions["loglake"], [AlertCollector(settings.root)]
    )
    app.extensions["loglake_push"] = PushBatcher(
        settings, after_commit(settings), on_report=metrics.observe_ingest
    )
    # alert notifications are delivered by this thread, off the push and upload ingests
    app.extensions["loglake_courier"] = Courier(settings).start()
    app.register_blueprint(ops)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(upload)
    app.register_blueprint(alerts_api)
    app.register_blueprint(pg_api)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    setup_templating(app)
    app.before_request(_authenticate)
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(secure)
    return app


def _refuse(status: int, message: str) -> Response:
    """The API's error shape, or the error page (with the sign-in form on a 401)."""
    from loglake.web.api import json_error

    if _is_api():
        return json_error(status, message)
    page = render_template("error.html", status=status, message=message, sign_in=status == 401)
    return Response(page, status=status)


def _authenticate() -> Response | None:
    """Check the token and CSRF before any view runs; views then find the service in `g`."""
    token = current_app.config["LOGLAKE_SETTINGS"].auth_token
    if token and request.endpoint != "common.sign_in" and request.endpoint not in OPEN_ENDPOINTS:
        if not same_secret(given_token(request), token):
            return _refuse(401, "authentication required: send Authorization: Bearer <token>")
        if request.args.get("token") and not _is_api():
            # a shared link with ?token= signs the browser in, then drops it from the URL
            args = request.args.to_dict(flat=False)
            args.pop("token")
            response = current_app.make_response(redirect(request.path + _query(args)))
            set_token_cookie(response, token)
            return response
    # a request no route takes (404, 405) gets that answer, not a CSRF refusal
    problem = request.routing_exception is None and csrf_problem(
        request, current_app.config["LOGLAKE_CSRF"]
    )
    if problem:
        return _refuse(403, problem)
    g.analytics = current_app.extensions["loglake"]
    return None


def _http_error(exc: HTTPException) -> Response:
    """Routing errors (404, 405) happen before a blueprint is chosen: answer them here."""
    return _refuse(exc.code or 500, exc.description or exc.name)


def _query(args: dict[str, list[str]]) -> str:
    from urllib.parse import urlencode

    text = urlencode(args, doseq=True)
    return f"?{text}" if text else ""
