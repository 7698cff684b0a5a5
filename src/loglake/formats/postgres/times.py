"""PostgreSQL's timestamps -> UTC microseconds.

`%t`/`%m` and csvlog/jsonlog write `YYYY-MM-DD HH:MM:SS[.fff] ZONE`, the zone being
`log_timezone`'s abbreviation (`UTC`, `CEST`, `MSK`) or a numeric offset (`+03`, `-0530`).
Abbreviations are read from the table below; one it does not know is taken as UTC (said in
the README). `%n` is epoch seconds with milliseconds. Seconds are cached per text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_CACHE_LIMIT = 100_000
# common log_timezone abbreviations -> offset from UTC in minutes
ZONES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 60,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "MSD": 240, "TRT": 180, "GST": 240, "PKT": 300, "SGT": 480, "HKT": 480, "AWST": 480,
    "CST": -360, "CDT": -300, "EST": -300, "EDT": -240, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "JST": 540,
    "KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720,
    "NZDT": 780, "BRT": -180, "ART": -180, "WIB": 420, "ICT": 420,
}  # fmt: skip
_STAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
    r" ?(?:([A-Za-z]{1,6})?([+-]\d{1,2}(?::?\d\d)?)?)?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_cache: dict[str, int | None] = {}


def _offset_minutes(zone: str | None, numeric: str | None) -> int | None:
    minutes = 0
    if zone:
        known = ZONES.get(zone.upper())
        if known is None and not numeric:
            return 0  # an abbreviation we do not know: taken as UTC
        minutes = known or 0
    if numeric:
        sign = -1 if numeric[0] == "-" else 1
        digits = numeric[1:].replace(":", "")
        hours, mins = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "0")
        minutes = sign * (int(hours) * 60 + int(mins))
        if zone and zone.upper() not in ("UTC", "GMT", "UT"):
            minutes = ZONES.get(zone.upper(), 0) + minutes
    return minutes


def _seconds(text: str) -> int | None:
    m = _STAMP.match(text)
    if m is None:
        return None
    offset = _offset_minutes(m[8], m[9])
    if offset is None:
        return None
    try:
        moment = datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), tzinfo=UTC
        )
    except ValueError:
        return None
    return int((moment - _EPOCH).total_seconds()) - offset * 60


def pg_time(text: str) -> int | None:
    """Microseconds since the epoch of a PostgreSQL timestamp, or None when unreadable."""
    text = text.strip()
    if not text:
        return None
    if text[0].isdigit() and "-" not in text[:8]:  # %n: epoch seconds
        try:
            return round(float(text) * 1_000_000)
        except ValueError:
            return None
    dot = text.find(".", 19)
    fraction = 0
    key = text
    if dot == 19:  # cache by the text without its fraction
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[dot + 1 : end]
        fraction = int(digits.ljust(6, "0")[:6]) if digits else 0
        key = text[:dot] + text[end:]
    if key in _cache:
        base = _cache[key]
    else:
        base = _seconds(key)
        if len(_cache) > _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = base
    return None if base is None else base * 1_000_000 + fraction
