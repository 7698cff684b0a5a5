"""What every page shares: the blueprint, asking the service, rendering a page or fragment.

A page is `name.html` (extends base.html) around `_name.html`; an HTMX request (a filter,
a sort, a page of results) gets only the fragment, so the rest of the page stays put.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, g, render_template, request

from loglake.errors import InputError, LoglakeError, StoreError
from loglake.web.templating import NAV, url_with

pages = Blueprint("pages", __name__)

TITLES = {endpoint: label for endpoint, label, _section in NAV}


def args(**overrides: Any) -> dict[str, Any]:
    """The request's query arguments with some replaced (None drops one)."""
    merged: dict[str, Any] = request.args.to_dict(flat=True)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def ask(question: str, **overrides: Any) -> dict[str, Any]:
    """Ask the service with the page's own query arguments (plus overrides)."""
    answer: dict[str, Any] = g.analytics.ask(question, args(**overrides))
    return answer


def has_data() -> bool:
    """True once something has been ingested."""
    try:
        return g.analytics.version() not in (None, "0")
    except StoreError:
        return False


def is_fragment() -> bool:
    """True for an HTMX request that swaps the page's content only."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(name: str, status: int = 200, time_picker: bool = True, **context: Any) -> Response:
    """The page `name` (base.html around `_name.html`), or only the fragment for HTMX."""
    fragment = f"_{name}.html"
    if is_fragment():
        return Response(render_template(fragment, **context), status=status)
    context.update(
        fragment=fragment,
        title=TITLES.get(request.endpoint or "", "loglake"),
        show_time_picker=time_picker,
        picker=picker_context() if time_picker else None,
    )
    return Response(render_template("base.html", **context), status=status)


def picker_context() -> dict[str, Any]:
    """The time-range picker's values and its presets (relative to the data's last event)."""
    values = {k: _local(request.args.get(k, "")) for k in ("from", "to")}
    presets: list[tuple[str, str]] = [("All", url_with(from_=None, to=None, offset=None))]
    end = _data_end()
    if end is not None:
        for label, delta in (("Last hour", timedelta(hours=1)), ("Last day", timedelta(days=1))):
            start = (end - delta).strftime("%Y-%m-%dT%H:%M:%S")
            presets.append((label, url_with(from_=start, to=None, offset=None)))
    return {**values, "presets": presets}


def _local(raw: str) -> str:
    """An ISO time as a datetime-local input value (UTC, seconds)."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


def _data_end() -> datetime | None:
    if not has_data():
        return None
    try:
        last = g.analytics.ask("summary", {}).get("last_ts")
    except LoglakeError:
        return None
    return datetime.fromisoformat(last.replace("Z", "+00:00")) if last else None


def guarded(
    name: str,
    build: Callable[[], dict[str, Any]],
    needs_data: bool = True,
    time_picker: bool = True,
) -> Response:
    """Render a page from `build()`'s context; bad filters and store errors become messages."""
    if needs_data and not has_data():
        return render(name, time_picker=time_picker, empty=True)
    try:
        return render(name, time_picker=time_picker, **build())
    except InputError as exc:
        return render(name, status=400, time_picker=time_picker, error=str(exc), bad_input=True)
    except LoglakeError as exc:
        return render(name, status=503, time_picker=time_picker, error=str(exc))
