"""ISO-8601 timestamps to UTC microseconds, fast: most log lines share their second."""

from __future__ import annotations

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
