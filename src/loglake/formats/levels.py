"""Normalized levels: every format maps its own severity words onto these six.

`events.level` holds one of `LEVELS` (or NULL when the record has none); `events.severity`
keeps the value as logged. Ordered from least to most severe, so `min_level` filters compare
positions in this tuple.
"""

from __future__ import annotations

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")

# MongoDB's one-letter severities (D1..D5 are debug verbosities); the block parser's SQL
# (formats/mongodb/json_block.sql) spells the same table as a CASE.
_MONGODB = {"F": "FATAL", "E": "ERROR", "W": "WARN", "I": "INFO", "D": "DEBUG"}


def mongodb_level(severity: str | None) -> str | None:
    """The level of a MongoDB severity (`F`, `E`, `W`, `I`, `D1`...), or None."""
    if not severity:
        return None
    return _MONGODB.get(severity[0])


# PostgreSQL's severities as logged (DEBUG1..DEBUG5 are debug verbosities)
_POSTGRES = {
    "PANIC": "FATAL",
    "FATAL": "FATAL",
    "ERROR": "ERROR",
    "WARNING": "WARN",
    "NOTICE": "INFO",
    "INFO": "INFO",
    "LOG": "INFO",
}


def postgres_level(severity: str | None) -> str | None:
    """The level of a PostgreSQL severity (`LOG`, `ERROR`, `DEBUG2`...), or None."""
    if not severity:
        return None
    if severity.startswith("DEBUG"):
        return "DEBUG"
    return _POSTGRES.get(severity)
