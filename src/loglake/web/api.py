"""The JSON API under /api/: one route per question, one error shape for every failure."""

from __future__ import annotations

import functools
import logging
from typing import Any

import orjson
from flask import Blueprint, Response, g, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from loglake.analytics.registry import QUESTIONS
from loglake.analytics.service import DegradedError
from loglake.errors import ConfigError, InputError, LoglakeError, NotFoundError, StoreError

log = logging.getLogger(__name__)

api = Blueprint("api", __name__)

# route (under /api) -> question, all GET: a live view of the question registry
ROUTES = QUESTIONS.routes

# route (under /api) -> operation that reads a request body: a JSON document
# (`Content-Type: application/json`) or form fields; request bodies are in openapi.py
POST_ROUTES: dict[str, str] = {
    "/ask": "ask",
    "/current-op": "current_op",
}
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

_STATUS = {
    InputError: 400,
    ConfigError: 400,
    NotFoundError: 404,
    DegradedError: 503,
    StoreError: 503,
}


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response (orjson: fast, and NaN-free because results are made JSON-ready)."""
    return Response(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        mimetype="application/json",
    )


def json_error(status: int, message: str) -> Response:
    """The one error shape: {"ok": false, "error": "...", "status": N}."""
    return json_response({"ok": False, "error": message, "status": status}, status)


@api.errorhandler(LoglakeError)
def _loglake_error(exc: LoglakeError) -> Response:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
    if status == 500:
        log.exception("request failed")
    return json_error(status, str(exc))


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return json_error(exc.code or 500, exc.description or exc.name)


@api.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error in %s", request.path)
    return json_error(500, f"internal error ({type(exc).__name__}); see the server log")


def _answer(question: str) -> Response:
    return json_response(g.analytics.ask(question, request.args))


@api.record
def _question_routes(state: BlueprintSetupState) -> None:
    """One GET route per registered question, added when an app registers the blueprint."""
    for route, question in ROUTES.items():
        state.add_url_rule(
            route,
            f"q_{question}",
            functools.partial(_answer, question),
            methods=["GET"],
            strict_slashes=False,
        )


def _body() -> Any:
    """The request body: parsed JSON, or the form fields as a dict (415 for other types)."""
    if request.mimetype in _FORM_TYPES:
        return request.form.to_dict()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json (or as a form)"
        )
    try:
        return orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the request body is not valid JSON: {exc}") from None


@api.route("/ask", methods=["GET", "POST"], strict_slashes=False)
def ask() -> Response:
    """A grounded answer to a question in plain words: {"q": "why is shop.orders slow?"}."""
    from loglake.advisor.ask import answer

    if request.method == "POST":
        body = _body()
        question = body.get("q") if isinstance(body, dict) else None
    else:
        question = request.args.get("q")
    if not isinstance(question, str):
        raise InputError('ask: send the question as {"q": "why is shop.orders slow?"}')
    return json_response(answer(g.analytics, question))


@api.post("/current-op")
def current_op() -> Response:
    """db.currentOp() output (the document, or {"text": pasted text}) analyzed."""
    from loglake.advisor.current_op import analyze_current_op, threshold_of

    body = _body()
    if isinstance(body, dict) and "text" in body and "inprog" not in body:
        if not isinstance(body["text"], str):
            raise InputError('current-op: "text" must be the pasted output as a string')
        body = body["text"]
    threshold = threshold_of(request.args.get("long_running_secs"))
    return json_response(analyze_current_op(body, threshold))


@api.get("/status")
def status() -> Response:
    """Manifest summary, engine and degraded features."""
    from loglake.store.status import dataset_status

    analytics = g.analytics
    info: dict[str, Any] = {"ok": True, **analytics.status()}
    try:
        info["dataset"] = dataset_status(analytics.root)
    except StoreError as exc:
        info["dataset"] = None
        info["message"] = str(exc)
    return json_response(info)


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API."""
    from loglake.web.openapi import openapi_document

    return json_response(openapi_document(QUESTIONS, request.host_url.rstrip("/"), POST_ROUTES))
