"""The timestamps of text logs: syslog's `Dec 10 06:55:46` (no year), the access logs'
`22/Jan/2019:03:56:14 +0330`, Apache's `Sun Dec 04 04:47:44 2005`, Loghub HDFS's
`081109 203615`, and ISO-8601 with a space or a comma (`2026-11-30 10:00:00,123`).

Each reader returns UTC microseconds or None; seconds are cached by their text, since most
lines of a log share their second with the line before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from loglake.formats.timestamps import IsoParser, epoch_us

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHE_LIMIT = 100_000


def _us(year: int, month: int, day: int, hms: str, offset_s: int = 0) -> int | None:
    try:
        hour, minute, second = int(hms[0:2]), int(hms[3:5]), int(hms[6:8])
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds - offset_s) * 1_000_000


def _fraction_us(text: str) -> int:
    """`.123` or `,123456` -> microseconds (empty: 0)."""
    digits = text[1:7]
    return int(digits.ljust(6, "0")) if digits.isdigit() else 0


def _offset_s(zone: str) -> int:
    """`+0330`, `-05:00` -> seconds east of UTC (anything else: 0)."""
    digits = zone[1:].replace(":", "")
    if zone[:1] not in "+-" or len(digits) != 4 or not digits.isdigit():
        return 0
    seconds = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    return -seconds if zone[0] == "-" else seconds


class TextTimes:
    """Reads the timestamps of one file's text records (keeps syslog's year in order)."""

    def __init__(self, year_hint: int) -> None:
        self._iso = IsoParser()
        self._cache: dict[str, int | None] = {}
        self.year = year_hint
        self._last_month = 0

    def _cached(self, key: str, make: object) -> int | None:
        value = self._cache.get(key, -1)
        if value == -1:
            value = make()  # type: ignore[operator]
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = value
        return value  # type: ignore[return-value]

    def iso(self, text: str) -> int | None:
        """`2026-11-30 10:00:00,123`, `2026-11-30T10:00:00.123+01:00`, …"""
        return self._iso(text.replace(",", ".", 1))

    def clf(self, text: str) -> int | None:
        """Common log format: `22/Jan/2019:03:56:14 +0330` (the zone optional)."""
        stamp, _, zone = text.partition(" ")

        def make() -> int | None:
            month = _MONTHS.get(stamp[3:6])
            if month is None or not stamp[7:11].isdigit() or not stamp[:2].isdigit():
                return None
            return _us(int(stamp[7:11]), month, int(stamp[:2]), stamp[12:20], _offset_s(zone))

        return self._cached(text, make)

    def syslog(self, text: str) -> int | None:
        """RFC 3164: `Dec 10 06:55:46` in the file's year; the year goes up when the
        month goes back (December -> January), so records are read in order."""
        month = _MONTHS.get(text[:3])
        if month is None or not text[4:6].strip().isdigit():
            return None
        if month < self._last_month - 6:
            self.year += 1
        self._last_month = month
        key = f"{self.year} {text}"
        return self._cached(key, lambda: _us(self.year, month, int(text[4:6]), text[7:15]))

    def ctime(self, text: str) -> int | None:
        """Apache's error log: `Sun Dec 04 04:47:44 2005` or `… 04:47:44.123456 2005`."""
        parts = text.split()
        if len(parts) != 5 or not parts[4].isdigit() or not parts[2].isdigit():
            return None
        month = _MONTHS.get(parts[1])
        if month is None:
            return None
        clock = parts[3]
        base = self._cached(
            f"{parts[4]} {parts[1]} {parts[2]} {clock[:8]}",
            lambda: _us(int(parts[4]), month, int(parts[2]), clock[:8]),
        )
        return None if base is None else base + _fraction_us(clock[8:])

    def compact(self, text: str) -> int | None:
        """Loghub HDFS: `081109 203615` (yyMMdd HHmmss)."""
        if len(text) != 13 or not (text[:6] + text[7:]).isdigit():
            return None
        clock = f"{text[7:9]}:{text[9:11]}:{text[11:13]}"
        return self._cached(
            text, lambda: _us(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]), clock)
        )

    def slashed(self, text: str) -> int | None:
        """Spark's (log4j's `yy/MM/dd`): `17/06/09 20:10:40`."""
        if len(text) != 17 or not (text[:2] + text[3:5] + text[6:8]).isdigit():
            return None
        return self._cached(
            text, lambda: _us(2000 + int(text[:2]), int(text[3:5]), int(text[6:8]), text[9:17])
        )

    def any(self, text: str) -> int | None:
        """Whichever of the forms above a text is (for `--pattern`), or epoch seconds/ms."""
        text = text.strip()
        if not text:
            return None
        if text[:1].isdigit():
            if len(text) >= 10 and text[4:5] == "-":
                return self.iso(text)
            if len(text) >= 11 and text[2:3] == "/":
                return self.clf(text)
            if len(text) == 13 and text[6:7] == " ":
                return self.compact(text)
            try:
                return epoch_us(float(text))
            except ValueError:
                return None
        if text[:3] in _MONTHS:
            return self.syslog(text)
        return self.ctime(text)
