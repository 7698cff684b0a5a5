"""What every page shares: asking the service, rendering a page or its fragment, links.

A page `area/name` is base.html around `area/_name.html` (from the area's template folder;
a name without an area is one of the shared templates); an HTMX request (a filter, a sort,
a page of results) gets only the fragment, so the rest of the page stays put.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, g, render_template, request, url_for

from loglake.errors import InputError, LoglakeError, StoreError
from loglake.web.area import title_of
from loglake.web.templating import global_query, url_with, zone


def absolute(raw: str) -> str:
    """A time typed in the page's zone (naive ISO) as ISO with its offset; other text as is,
    so every question reads from/to in the zone chosen in the header."""
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw  # the question's own validation says what is wrong
    if parsed.tzinfo is not None:
        return raw
    return parsed.replace(tzinfo=zone()).isoformat()


def args(**overrides: Any) -> dict[str, Any]:
    """The request's query arguments with some replaced (None drops one); naive from/to are
    times in the page's zone (`?tz=`)."""
    merged: dict[str, Any] = request.args.to_dict(flat=True)
    for key in ("from", "to"):
        if merged.get(key):
            merged[key] = absolute(merged[key])
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


def link(endpoint: str, **filters: Any) -> str:
    """The URL of another page with these filters and the current time range."""
    return url_for(endpoint) + global_query(**filters)


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
    """The page `area/name` (base.html around `area/_name.html`), or only the fragment for HTMX."""
    folder, _, page = name.rpartition("/")
    fragment = f"{folder}/_{page}.html" if folder else f"_{page}.html"
    if is_fragment():
        return Response(render_template(fragment, **context), status=status)
    context.update(
        fragment=fragment,
        title=title_of(current_app, request.endpoint) or "loglake",
        show_time_picker=time_picker,
        picker=picker_context() if time_picker else None,
    )
    return Response(render_template("base.html", **context), status=status)


def picker_context() -> dict[str, Any]:
    """The time-range picker's values and its presets (relative to the data's last event)."""
    values = {k: _local(request.args.get(k, "")) for k in ("from", "to")}
    # what the time-zone selector carries: the same instants, whatever zone comes next
    instants = {k: _instant(request.args.get(k, "")) for k in ("from", "to")}
    presets: list[tuple[str, str]] = [("All", url_with(from_=None, to=None, offset=None))]
    end = _data_end()
    if end is not None:
        for label, delta in (("Last hour", timedelta(hours=1)), ("Last day", timedelta(days=1))):
            start = (end - delta).astimezone(zone()).strftime("%Y-%m-%dT%H:%M:%S")
            presets.append((label, url_with(from_=start, to=None, offset=None, cursor=None)))
    return {**values, "instants": instants, "presets": presets}


def _parsed(raw: str) -> datetime | None:
    """A from/to argument as an aware datetime (naive: in the page's zone), or None."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone())


def _local(raw: str) -> str:
    """An ISO time as a datetime-local input value (in the page's zone, seconds)."""
    parsed = _parsed(raw)
    return parsed.astimezone(zone()).strftime("%Y-%m-%dT%H:%M:%S") if parsed else ""


def _instant(raw: str) -> str:
    """An ISO time as UTC with a Z (empty when there is none)."""
    parsed = _parsed(raw)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else ""


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
