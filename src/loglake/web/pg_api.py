"""The live PostgreSQL advisor's API beside the registry's `GET /api/pg/bottlenecks`:
`GET /api/pg/queries/<query_id>`, `POST /api/pg/simulate` and `POST /api/pg/chat`.

Simulations go to the server of `LOGLAKE_PG_DSN` (never one named in a request), capped in
flight and per minute; their errors say why they failed and what to try.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g

from loglake.advisor.pg_connect import PgError
from loglake.analytics.service import DegradedError
from loglake.errors import ConfigError, InputError, LoglakeError, NotFoundError
from loglake.web.api import _body, json_error, json_response

pg_api = Blueprint("pg_api", __name__)

_STATUS: dict[type[Exception], int] = {
    InputError: 400, ConfigError: 400, NotFoundError: 404, DegradedError: 503,
}  # fmt: skip
_LIMITER = "loglake_pg_limiter"


@pg_api.errorhandler(LoglakeError)
def _error(exc: LoglakeError) -> Response:
    from loglake.advisor.pg_simulate import BusyError

    if isinstance(exc, BusyError):
        return json_error(429, str(exc))
    if isinstance(exc, PgError):
        return json_error(502, str(exc))  # the database server, not loglake, refused
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 503)
    return json_error(status, str(exc))


def _settings() -> Any:
    return current_app.config["LOGLAKE_SETTINGS"]


def _cursor() -> Any:
    if g.analytics.lake is None:
        raise DegradedError(
            "the live advisor's answers need DuckDB (LOGLAKE_DISABLE_DUCKDB is set)"
        )
    return g.analytics.lake.snapshot()


def _limiter() -> Any:
    from loglake.advisor.pg_simulate import Limiter

    settings = _settings()
    made = Limiter(settings.pg_simulations_in_flight, settings.pg_simulations_per_minute)
    return current_app.extensions.setdefault(_LIMITER, made)


def run_simulation(query_id: Any, rec_id: Any, mode: Any = "hypopg") -> dict[str, Any]:
    """One simulation through the app's limiter (the API and the pages)."""
    from loglake.advisor.pg_simulate import simulate

    for name, value in (("query_id", query_id), ("rec_id", rec_id), ("mode", mode)):
        if not isinstance(value, str) or not 0 < len(value) <= 100:
            raise InputError(f'simulate: "{name}" must be a string (from /api/pg/bottlenecks)')
    with _limiter().slot():
        return simulate(_settings(), query_id, rec_id, mode)


@pg_api.get("/api/pg/queries/<query_id>")
def query(query_id: str) -> Response:
    """One statement: metrics over snapshots, plan facts, family, anomalies, findings."""
    from loglake.advisor.pg_bottlenecks import query_detail

    with _cursor() as cur:
        return json_response(query_detail(cur, {"query_id": query_id}))


@pg_api.post("/api/pg/simulate")
def simulate_route() -> Response:
    """{query_id, rec_id, mode}: before/after cost, %Δ, plan changes, both plans."""
    body = _body()
    if not isinstance(body, dict):
        raise InputError('simulate: send {"query_id": …, "rec_id": …, "mode": "hypopg"}')
    return json_response(
        run_simulation(body.get("query_id"), body.get("rec_id"), body.get("mode", "hypopg"))
    )


@pg_api.post("/api/pg/chat")
def chat_route() -> Response:
    """{question, query_id?}: a templated answer citing the stored facts."""
    from loglake.advisor.pg_chat import chat

    body = _body()
    if not isinstance(body, dict):
        raise InputError('chat: send {"question": "why is query 123 slow?"}')
    query_id = body.get("query_id")
    if query_id is not None and not isinstance(query_id, str):
        raise InputError('chat: "query_id" must be a string')
    simulate = run_simulation if _settings().pg_dsn else None
    with _cursor() as cur:
        return json_response(chat(cur, body.get("question"), query_id or None, simulate))


@pg_api.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    import logging

    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return json_error(exc.code or 500, exc.description or exc.name)
    logging.getLogger(__name__).exception("live advisor request failed")
    return json_error(500, f"internal error ({type(exc).__name__}); see the server log")
