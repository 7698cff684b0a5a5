"""Which format module reads a file: sniffed from its first non-blank lines, or named."""

from __future__ import annotations

import importlib
from types import ModuleType

from loglake.errors import InputError
from loglake.formats.base import LogFormat

_MODULES = {
    LogFormat.MONGODB: "loglake.formats.mongodb.json_line",
    LogFormat.MONGODB_LEGACY: "loglake.formats.mongodb.legacy",
}
SNIFF_LINES = 50
_MIN_CONFIDENCE = 0.5
_SURE = 0.95  # no need to ask the other formats


def format_module(fmt: LogFormat | str) -> ModuleType:
    """The module implementing a format."""
    try:
        key = LogFormat(fmt)
    except ValueError:
        names = ", ".join(f.value for f in LogFormat)
        raise InputError(f"unknown format {fmt!r}; choose one of {names}") from None
    return importlib.import_module(_MODULES[key])


def is_splittable(module: ModuleType, head: list[bytes]) -> bool:
    """Whether a file of this format may be cut into byte ranges parsed independently."""
    judge = getattr(module, "splittable", None)
    if callable(judge):
        return bool(judge(head))
    return bool(getattr(module, "SPLITTABLE", False))


def sniff_format(lines: list[bytes], source: str) -> LogFormat:
    """The format of a file, judged from its first non-blank lines."""
    sample = [line for line in lines if line.strip()][:SNIFF_LINES]
    if not sample:
        raise InputError(f"{source}: no log lines found (the file is empty or blank)")
    best, best_score = None, 0.0
    for fmt in LogFormat:
        score = format_module(fmt).sniff(sample)
        if score > best_score:
            best, best_score = fmt, score
        if score >= _SURE:
            break
    if best is None or best_score < _MIN_CONFIDENCE:
        names = ", ".join(f.value for f in LogFormat)
        raise InputError(
            f"{source}: the first {len(sample)} lines matched no known format; "
            f"pass --format ({names})"
        )
    return best
