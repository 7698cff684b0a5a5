"""Tool pages: the currentOp analyzer, uploading logs, processing status."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, current_app, g, request

from loglake.config import Settings
from loglake.errors import InputError, LoglakeError
from loglake.web.area import Area
from loglake.web.pages import guarded, render

area = Area("tools", __name__, "Tools", template_folder="templates")

PASTE_LIMIT = 900 * 1024  # below the app's request limit, with room for the form's other fields


@area.page("/current-op", "Current op", methods=["GET", "POST"])
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
            return render(
                "tools/current_op", status=400, time_picker=False, error=str(exc), **context
            )
    return render("tools/current_op", time_picker=False, **context)


@area.page("/upload", "Upload")
def upload_page() -> Response:
    """Drag-and-drop upload with progress, then the ingest's phases live."""
    settings: Settings = current_app.config["LOGLAKE_SETTINGS"]
    return render(
        "tools/upload",
        time_picker=False,
        max_mb=settings.max_upload_mb,
        replace=settings.wipe_on_upload,
        new_batch=secrets.token_hex(8),
    )


@area.page("/processing-status", "Processing status")
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

    return guarded("tools/processing_status", build, needs_data=False, time_picker=False)


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
