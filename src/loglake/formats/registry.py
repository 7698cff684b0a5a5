"""The registered formats: looked up by name, or sniffed from a file's first lines.

The built-in formats are registered like any other (`register(spec)`), the first time the
registry is asked. Sniffing asks the most specific formats first (highest `priority`): the
first that is sure of a file takes it, so a generic format (any JSON lines) never claims a
log that a specific one (mongod's) recognizes; otherwise the best score wins, ties going to
the more specific format.
"""

from __future__ import annotations

import importlib
from functools import cache

from loglake.errors import InputError
from loglake.formats.base import FormatSpec

# The modules whose `SPEC` is registered first; a new built-in format adds its module here.
BUILTIN_FORMATS = (
    "loglake.formats.mongodb.json_line",
    "loglake.formats.mongodb.legacy",
    "loglake.formats.postgres.stderr",
    "loglake.formats.postgres.csvlog",
    "loglake.formats.postgres.jsonlog",
)
SNIFF_LINES = 50
_MIN_CONFIDENCE = 0.5
_SURE = 0.95  # no less specific format is asked

_SPECS: dict[str, FormatSpec] = {}


@cache
def _builtins_loaded() -> bool:
    for module in BUILTIN_FORMATS:
        _add(importlib.import_module(module).SPEC)
    return True


def is_full_scan_plan(plan: object) -> bool:
    """Whether a plan (`COLLSCAN`, or a plan summary such as `COLLSCAN { ... }`) reads a whole
    collection or table, by the registered formats' own plan words."""
    if not isinstance(plan, str) or not plan:
        return False
    plans = full_scan_plans()  # a plan word may hold a space (PostgreSQL's `Seq Scan`)
    return plan in plans or plan.split(" ", 1)[0].rstrip(",") in plans


def full_scan_plans() -> frozenset[str]:
    """Every registered format's plan kinds that read a whole collection or table."""
    return frozenset(plan for spec in _specs().values() for plan in spec.full_scan_plans)


def _add(spec: FormatSpec) -> None:
    if spec.name in _SPECS:
        raise ValueError(f"a format named {spec.name!r} is already registered")
    _SPECS[spec.name] = spec


def _specs() -> dict[str, FormatSpec]:
    _builtins_loaded()
    return _SPECS


def register(spec: FormatSpec) -> FormatSpec:
    """Add a format (its name must be new); returns the spec."""
    _specs()
    _add(spec)
    return spec


def unregister(name: str) -> None:
    """Remove a registered format (a test's, or a plugin's being unloaded)."""
    del _specs()[name]


def format_names() -> list[str]:
    """The names of the registered formats, built-ins first, then the families' names."""
    names = list(_specs())
    families = [s.family for s in _specs().values() if s.family and s.family not in names]
    return names + list(dict.fromkeys(families))


def family_members(name: str) -> list[FormatSpec]:
    """The formats of a family (empty when no format has that family)."""
    return [spec for spec in _specs().values() if spec.family == name]


def format_spec(name: str, head: list[bytes] | None = None) -> FormatSpec:
    """The spec of a format, by name; a family's name (`postgres`) picks the family's
    format that sniffs best on `head` (its first one without a head)."""
    spec = _specs().get(name)
    members = family_members(name) if spec is None else []
    if members:
        sample = [line for line in head or [] if line.strip()][:SNIFF_LINES]
        return max(members, key=lambda m: m.sniff(sample) if sample else 0.0)
    if spec is None:
        names = ", ".join(format_names())
        raise InputError(f"unknown format {name!r}; choose one of {names}")
    return spec


def by_priority() -> list[FormatSpec]:
    """The registered formats, the most specific first (then in registration order)."""
    return sorted(_specs().values(), key=lambda spec: -spec.priority)


def sniff_format(lines: list[bytes], source: str) -> FormatSpec:
    """The format of a file, judged from its first non-blank lines."""
    sample = [line for line in lines if line.strip()][:SNIFF_LINES]
    if not sample:
        raise InputError(f"{source}: no log lines found (the file is empty or blank)")
    best, best_score = None, 0.0
    for spec in by_priority():
        score = spec.sniff(sample)
        if score >= _SURE:
            return spec
        if score > best_score:
            best, best_score = spec, score
    if best is None or best_score < _MIN_CONFIDENCE:
        raise InputError(
            f"{source}: the first {len(sample)} lines matched no known format; "
            f"pass --format ({', '.join(format_names())})"
        )
    return best
