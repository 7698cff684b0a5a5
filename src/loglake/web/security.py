"""Who may ask, and from where: the token check, CSRF protection and security headers.

- Token: when `LOGLAKE_AUTH_TOKEN` is set every request carries it (`Authorization: Bearer`,
  `?token=`, or the `loglake_token` cookie that `?token=` and the sign-in form set).
- CSRF: a state-changing request (POST …) must come from our own pages — it carries the
  per-process CSRF token (form field `csrf_token` or header `X-CSRF-Token`) — or be a JSON
  API call (`Content-Type: application/json` under /api/ or to /graphql, which a
  cross-site form cannot send without a CORS preflight we never grant), or a push of
  records (`POST /api/ingest` with `application/x-ndjson`, also a type no cross-site form
  can send) that carries no session cookie. A foreign `Origin` is always refused.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from flask import Request, Response, request

from loglake.config import Settings
from loglake.errors import ConfigError

TOKEN_COOKIE = "loglake_token"  # noqa: S105 - a cookie name, not a secret
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUSH_PATH = "/api/ingest"
GRAPHQL_PATH = "/graphql"
PUSH_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines"})

HEADERS = {
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


def given_token(request: Request) -> str:
    """The token a request carries, from the header, the query string or the cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.args.get("token", "") or request.cookies.get(TOKEN_COOKIE, "")


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def new_csrf_token() -> str:
    """A fresh per-process CSRF token (pages embed it; other sites cannot read it)."""
    return secrets.token_urlsafe(32)


def csrf_problem(request: Request, expected: str) -> str | None:
    """Why a state-changing request must be refused, or None when it may proceed."""
    if request.method in SAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        return f"cross-site request from {origin} refused"
    token = request.headers.get(CSRF_HEADER, "")
    if not token and request.mimetype == "application/x-www-form-urlencoded":
        token = request.form.get(CSRF_FIELD, "")
    if token:
        return None if same_secret(token, expected) else "invalid CSRF token; reload the page"
    json_api = request.path.startswith("/api/") or request.path == GRAPHQL_PATH
    if json_api and request.mimetype == "application/json":
        return None
    if request.path == PUSH_PATH and request.mimetype in PUSH_TYPES and not request.cookies:
        return None
    return "missing CSRF token: send the page's form, or JSON to the API"


def set_token_cookie(response: Response, token: str) -> None:
    """Remember the token in an HttpOnly, same-site cookie."""
    response.set_cookie(
        TOKEN_COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure
    )


def secure(response: Response) -> Response:
    """Add the security headers to a response."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
