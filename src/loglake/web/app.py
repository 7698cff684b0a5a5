"""The Flask application factory: one Analytics per app, security headers, token check."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import ConfigError

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024  # JSON API bodies; uploads get their own limit

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve beyond loopback without a token."""
    if not is_loopback(settings.host) and not settings.auth_token:
        raise ConfigError(
            f"refusing to listen on {settings.host} without authentication: set "
            "LOGLAKE_AUTH_TOKEN (every request must then carry it), or bind 127.0.0.1"
        )


def _token_ok(expected: str) -> bool:
    given = ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header.removeprefix("Bearer ").strip()
    given = given or request.args.get("token", "") or request.cookies.get("loglake_token", "")
    return hmac.compare_digest(given.encode(), expected.encode())


def create_app(settings: Settings) -> Flask:
    """The loglake web application over the dataset at settings.root."""
    from loglake.web.api import api, json_error

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["LOGLAKE_SETTINGS"] = settings
    app.extensions["loglake"] = Analytics(settings)
    app.register_blueprint(api, url_prefix="/api")

    @app.before_request
    def authenticate() -> Response | None:
        if settings.auth_token and not _token_ok(settings.auth_token):
            return json_error(401, "authentication required: send Authorization: Bearer <token>")
        g.analytics = app.extensions["loglake"]
        return None

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        # routing errors (404, 405) happen before the API blueprint is chosen
        if request.path.startswith("/api/") or request.path == "/api":
            return json_error(exc.code or 500, exc.description or exc.name)
        return exc

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
