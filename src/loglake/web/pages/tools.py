"""Tool pages: the currentOp analyzer, processing status, and signing in with a token."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for

from loglake.errors import InputError, LoglakeError
from loglake.web.pages.common import guarded, pages, render

PASTE_LIMIT = 900 * 1024  # below the app's request limit, with room for the form's other fields


@pages.route("/current-op", methods=["GET", "POST"])
def current_op() -> Response:
    """Paste `db.currentOp()` output; see long-running ops, lock waits and scans in progress."""
    from loglake.advisor.current_op import LONG_RUNNING_SECS, analyze_current_op, threshold_of

    text = request.form.get("text", "") if request.method == "POST" else ""
    context: dict[str, Any] = {"text": text, "threshold": LONG_RUNNING_SECS}
    if request.method == "POST":
        try:
            threshold = threshold_of(request.form.get("threshold"))
            context["threshold"] = threshold
            if not text.strip():
                raise InputError("paste the output of db.currentOp() first")
            if len(text) > PASTE_LIMIT:
                raise InputError(f"the pasted text is over {PASTE_LIMIT // 1024} KB")
            context["result"] = analyze_current_op(text, threshold)
        except InputError as exc:
            return render("current_op", status=400, time_picker=False, error=str(exc), **context)
    return render("current_op", time_picker=False, **context)


@pages.get("/ask")
def ask_page() -> Response:
    """Grounded answers to questions in plain words (no language model: facts only)."""
    from loglake.advisor.ask import answer

    def build() -> dict[str, Any]:
        question = request.args.get("q", "").strip()
        return {"question": question, "result": answer(g.analytics, question) if question else None}

    return guarded("ask", build)


@pages.get("/processing-status")
def processing_status() -> Response:
    """Current uploads/ingests and past ingests from the manifest."""
    from loglake.store.status import dataset_status

    def build() -> dict[str, Any]:
        jobs = current_app.extensions["loglake_jobs"].all()
        try:
            status = dataset_status(g.analytics.root)
        except LoglakeError:
            status = None
        return {"jobs": jobs, "dataset": status, "ingests": _ingests(status)}

    return guarded("processing_status", build, needs_data=False, time_picker=False)


def _ingests(status: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Past ingests, newest first, with throughput."""
    rows = []
    for ing in reversed((status or {}).get("ingests") or []):
        seconds = (ing.get("timings") or {}).get("total")
        rows.append(
            {
                **ing,
                "seconds": seconds,
                "mb_per_s": ing["bytes"] / 1e6 / seconds if seconds else None,
                "reasons": {k: v for k, v in (ing.get("bad_lines") or {}).items() if k != "total"},
            }
        )
    return rows


@pages.post("/sign-in")
def sign_in() -> Response:
    """Check a token typed into the sign-in form and remember it in a cookie."""
    from loglake.web.app import set_token_cookie
    from loglake.web.security import same_secret

    expected = current_app.config["LOGLAKE_SETTINGS"].auth_token
    token = request.form.get("token", "")
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("pages.dashboard")
    if not expected or not same_secret(token, expected):
        page = render_template("error.html", status=401, message="wrong token", sign_in=True)
        return Response(page, status=401)
    response = current_app.make_response(redirect(target))
    set_token_cookie(response, token)
    return response
