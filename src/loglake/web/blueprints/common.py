"""Routes every area relies on, outside the menu: the log-entry dialog and signing in."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from loglake.errors import LoglakeError, NotFoundError
from loglake.web.pages import render
from loglake.web.security import same_secret, set_token_cookie

common = Blueprint("common", __name__)


@common.get("/entry")
def entry() -> Response:
    """The modal's content: the original log line (pretty-printed) and its parsed fields."""
    try:
        detail = g.analytics.ask(
            "detail",
            {
                "file_id": request.args.get("file_id"),
                "file_offset": request.args.get("file_offset"),
            },
        )
    except LoglakeError as exc:
        return render(
            "entry",
            status=404 if isinstance(exc, NotFoundError) else 400,
            error=str(exc),
            time_picker=False,
        )
    return render("entry", detail=detail, time_picker=False)


@common.post("/sign-in")
def sign_in() -> Response:
    """Check a token typed into the sign-in form and remember it in a cookie."""
    expected = current_app.config["LOGLAKE_SETTINGS"].auth_token
    token = request.form.get("token", "")
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("overview.dashboard")
    if not expected or not same_secret(token, expected):
        page = render_template("error.html", status=401, message="wrong token", sign_in=True)
        return Response(page, status=401)
    response = current_app.make_response(redirect(target))
    set_token_cookie(response, token)
    return response
