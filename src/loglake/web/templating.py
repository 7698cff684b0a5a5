"""Jinja set-up for the pages: number and time filters, the navigation, URL helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request
from markupsafe import Markup, escape

from loglake.analytics.params import parse_zone
from loglake.errors import InputError
from loglake.formats.registry import is_full_scan_plan
from loglake.web.area import navigation
from loglake.web.security import CSRF_FIELD

GLOBAL_ARGS = ("from", "to", "tz", "engine")  # carried from page to page
# the header's time-zone choices (any IANA name works in the URL: ?tz=Pacific/Auckland)
TIME_ZONES = (
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip

# MongoDB's words on the pages, and PostgreSQL's for the same things (see `term`)
TERMS = {
    "collection": "table",
    "collections": "tables",
    "Collection": "Table",
    "Collections": "Tables",
    "documents": "rows",
    "Docs examined": "Rows examined",
    "collection scan": "sequential scan",
    "Collection scans": "Sequential scans",
}


def setup_templating(app: Flask) -> None:
    """Register the filters and globals the templates use."""
    app.jinja_env.filters.update(
        ts=format_ts,
        ms=format_ms,
        num=format_num,
        bytes=format_bytes,
        pct=format_pct,
        highlight=highlight,
        full_scan=is_full_scan_plan,
    )
    app.jinja_env.globals.update(
        navigation=lambda: navigation(current_app),
        url_with=url_with,
        global_query=global_query,
        term=term,
        csrf_token=lambda: current_app.config["LOGLAKE_CSRF"],
        CSRF_FIELD=CSRF_FIELD,
        tz_name=tz_name,
        time_zones=lambda: TIME_ZONES if tz_name() in TIME_ZONES else (*TIME_ZONES, tz_name()),
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _lake_engines() -> frozenset[str]:
    """The engines whose logs the served lake holds (read once per request)."""
    from flask import g

    from loglake.analytics.filters import engine_of
    from loglake.errors import LoglakeError
    from loglake.store.manifest import load_manifest

    if "lake_engines" not in g:
        try:
            files = load_manifest(g.analytics.settings.root).get("files", {})
        except (LoglakeError, AttributeError):
            files = {}
        g.lake_engines = frozenset(engine_of(f.get("format")) for f in files.values()) - {None}
    return g.lake_engines  # type: ignore[no-any-return]


def term(word: str) -> str:
    """A page's word for the rows shown: `collection`, or `table` for PostgreSQL rows (the
    `engine` filter, or a lake of PostgreSQL logs only); `collection/table` for both."""
    other = TERMS.get(word)
    if other is None:
        return word
    engine = request.args.get("engine")
    engines = {engine} if engine else _lake_engines()
    if engines == {"postgres"}:
        return other
    return f"{word}/{other}" if "postgres" in engines else word


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=True)
    args.pop("token", None)
    for given, value in changes.items():
        key = given.rstrip("_")  # from_= for the reserved word
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def global_query(**extra: Any) -> str:
    """The query string that carries the global filters (time range) to another page."""
    args = {k: request.args[k] for k in GLOBAL_ARGS if request.args.get(k)}
    args.update({k.rstrip("_"): str(v) for k, v in extra.items() if v not in (None, "")})
    return f"?{urlencode(args)}" if args else ""


def highlight(text: Any, keyword: str, case_sensitive: bool = False) -> Markup:
    """Text, escaped, with each occurrence of a plain keyword wrapped in <mark>."""
    value = "" if text is None else str(text)
    if not keyword:
        return escape(value)
    flags = 0 if case_sensitive else re.IGNORECASE
    parts = re.split(f"({re.escape(keyword)})", value, flags=flags)
    return Markup("").join(
        Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


def zone() -> tzinfo:
    """The page's time zone: `?tz=` (an IANA name), UTC when absent or unknown."""
    if "loglake_zone" not in g:
        try:
            g.loglake_zone = parse_zone(request.args.get("tz"))
        except InputError:
            g.loglake_zone = UTC
    found: tzinfo = g.loglake_zone
    return found


def tz_name() -> str:
    """The name of the page's time zone, as the selector shows it."""
    return str(getattr(zone(), "key", "UTC"))


def format_ts(value: Any, seconds: bool = True, millis: bool = False) -> str:
    """An ISO timestamp as `2024-03-18 10:00:01` in the page's time zone, or an em dash."""
    if not value:
        return "—"
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(zone())
    if millis:
        return parsed.strftime("%Y-%m-%d %H:%M:%S.") + f"{parsed.microsecond // 1000:03d}"
    return parsed.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_ms(value: Any) -> str:
    """A duration in milliseconds, readable: 850 ms, 12.4 s, 3.2 min, 1.5 h."""
    if value is None:
        return "—"
    ms = float(value)
    if ms < 1000:
        return f"{ms:,.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:,.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:,.1f} min"
    return f"{ms / 3_600_000:,.1f} h"


def format_num(value: Any, digits: int = 0) -> str:
    """A number with thousands separators."""
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,}"


def format_bytes(value: Any) -> str:
    """A size in bytes as B / KB / MB / GB."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


def format_pct(value: Any) -> str:
    """A share 0..1 as a percentage."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"
