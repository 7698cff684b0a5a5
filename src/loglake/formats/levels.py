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


# Words applications log as their level (lower-cased), from log4j/logback, Python logging,
# syslog, pino/bunyan, Go's zap/logrus, .NET, Java util logging and OpenTelemetry.
_WORDS = {
    "trace": "TRACE", "trc": "TRACE", "finest": "TRACE", "finer": "TRACE", "verbose": "TRACE",
    "debug": "DEBUG", "dbg": "DEBUG", "fine": "DEBUG", "config": "DEBUG", "d": "DEBUG",
    "info": "INFO", "inf": "INFO", "information": "INFO", "informational": "INFO",
    "notice": "INFO", "i": "INFO", "log": "INFO", "statement": "INFO",
    "warn": "WARN", "warning": "WARN", "wrn": "WARN", "w": "WARN",
    "error": "ERROR", "err": "ERROR", "eror": "ERROR", "severe": "ERROR", "e": "ERROR",
    "fatal": "FATAL", "crit": "FATAL", "critical": "FATAL", "alert": "FATAL",
    "emerg": "FATAL", "emergency": "FATAL", "panic": "FATAL", "dpanic": "FATAL", "f": "FATAL",
}  # fmt: skip

# syslog severities (RFC 5424 section 6.2.1): 0 emergency .. 7 debug
_SYSLOG = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")


def word_level(word: str) -> str | None:
    """The level of a level word (`info`, `WARNING`, `E`, `crit`...), or None."""
    level = _WORDS.get(word.strip().lower())
    if level is None and word.strip().isdigit():
        return pino_level(int(word))
    return level


def pino_level(number: int) -> str | None:
    """The level of a pino/bunyan number: 10 trace, 20 debug, 30 info, 40 warn, 50 error,
    60 fatal (values between round down, as pino's custom levels do)."""
    if number < 10:
        return None
    return LEVELS[min(number // 10, 6) - 1]


def otel_level(number: int) -> str | None:
    """The level of an OpenTelemetry SeverityNumber (1-4 TRACE ... 21-24 FATAL)."""
    if not 1 <= number <= 24:
        return None
    return LEVELS[(number - 1) // 4]


def syslog_level(severity: int) -> str | None:
    """The level of a syslog severity (0 emergency .. 7 debug; PRI % 8)."""
    return _SYSLOG[severity] if 0 <= severity < 8 else None


def app_level(value: object) -> str | None:
    """The level of an application log's level field: a word or a pino/bunyan number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return pino_level(int(value))
    if isinstance(value, str):
        return word_level(value)
    return None


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
