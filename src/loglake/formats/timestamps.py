"""ISO-8601 timestamps to UTC microseconds, fast: most log lines share their second."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHE_LIMIT = 200_000


class IsoParser:
    """Parses ISO-8601 strings with an offset into microseconds since the epoch (UTC).

    Seconds are cached by their text (date, time to the second, and offset), so the common
    `2024-03-18T10:49:13.161-04:00` form costs one dict lookup and an int() per line.
    """

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int | None:
        """Microseconds since the epoch, or None when the text is not an ISO timestamp."""
        # Fast path: YYYY-MM-DDTHH:MM:SS.mmm<offset>, cached per hour and offset
        if len(text) >= 24 and text[19] == "." and text[23] in "+-Z":
            key = text[:13] + text[23:]
            base = self._cache.get(key)
            if base is None:
                base = self._slow(text[:13] + ":00:00" + text[23:])
                if base is None:
                    return None
                if len(self._cache) > _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[key] = base
            rest = text[14:16] + text[17:19] + text[20:23]
            if rest.isdigit() and text[16] == ":" and text[13] == ":":
                minutes, seconds, millis = int(rest[:2]), int(rest[2:4]), int(rest[4:])
                if minutes < 60 and seconds < 61:
                    return base + (minutes * 60 + seconds) * 1_000_000 + millis * 1000
            return self._slow(text)
        return self._slow(text)

    @staticmethod
    def _slow(text: str) -> int | None:
        try:
            parsed = datetime.fromisoformat(text)
        except (ValueError, TypeError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        delta = parsed - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def date_of(ts_us: int) -> str:
    """The UTC date (YYYY-MM-DD) of a microsecond timestamp."""
    return datetime.fromtimestamp(ts_us / 1_000_000, tz=UTC).strftime("%Y-%m-%d")


# epoch numbers by magnitude: below 1e11 seconds (until year 5138), then ms, µs, ns
_EPOCH_SCALES = ((1e11, 1_000_000), (1e14, 1_000), (1e17, 1))


def epoch_us(number: float) -> int | None:
    """Microseconds since the epoch of an epoch number in s, ms, µs or ns (by magnitude)."""
    if math.isnan(number) or number < 0:  # before 1970
        return None
    for limit, scale in _EPOCH_SCALES:
        if number < limit:
            return round(number * scale)
    if number < 1e20:
        return int(number) // 1000
    return None


_NAME_TIME = re.compile(
    r"(?<!\d)(\d{4})-?(\d\d)-?(\d\d)(?:[T_ ](\d\d)[:\-]?(\d\d)(?:[:\-]?(\d\d)(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d\d:?\d\d)?)?(?!\d)"
)
_FOLDER_DATE = re.compile(r"(?:^|/)(\d{4})/(\d\d)/(\d\d)(?:/(\d\d)(?=/))?(?:/|$)")


def path_time_us(path: str) -> int | None:
    """The time a file or folder name holds (`2025-04-01T18:28:18.671Z-x.json`,
    `…/2025/04/01/…`, `…/2025-04-01/app.log`, `app-20250401.log`), UTC microseconds, or
    None. The file's own name wins, then the nearest folder."""
    parts = path.replace("\\", "/").split("/")
    folder = _FOLDER_DATE.search("/".join(parts[:-1]) + "/")
    for name in reversed(parts):
        for m in _NAME_TIME.finditer(name):
            ts = _stamp_of(m.groups())
            if ts is not None:
                return ts
        if folder and name == folder.group(3):  # reached the /YYYY/MM/DD/ folders
            break
    if folder:
        year, month, day, hour = folder.groups()
        return _stamp_of((year, month, day, hour, None, None, None, None))
    return None


def _stamp_of(parts: tuple[str | None, ...]) -> int | None:
    year, month, day, hour, minute, second, fraction, zone = parts
    try:
        moment = datetime(
            int(year or 0),
            int(month or 0),
            int(day or 0),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if not 1990 <= moment.year <= 2200:
        return None
    delta = moment - _EPOCH
    offset = 0
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds - offset
