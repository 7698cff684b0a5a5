"""Pre-ingest hooks: plain callables that enrich or drop a record before it is written.

A hook is named `module:function` (`Settings.hooks`, `--hook`) and called with each
`events` row a record makes (a dict of the stream's columns: `ts` in microseconds, `level`,
`message`, `attrs` as JSON text, …). It returns the row (changed or not) or None to drop
the record; keys that are not `events` columns are merged into `attrs`. A hook that raises
(or returns something else) leaves the row as it was: it is counted per hook, with a few
samples, in the ingest report, and the ingest goes on. Hooks run in the ingest's workers,
which import them by name, so they work on every executor. A callable given to the Python
API (`Lake.add_hook`) is registered under a name of its own (`register_hook`), which this
process and the worker processes it forks resolve (not a Dask cluster's workers).
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from loglake.errors import ConfigError
from loglake.schema import Stream, column_names

HookFn = Callable[[dict[str, Any]], "dict[str, Any] | None"]
Rows = list[tuple[Stream, dict[str, Any]]]
SAMPLES_KEPT = 5
_EVENT_COLUMNS = frozenset(column_names(Stream.EVENTS))
_OWN = frozenset({"file_id", "file_offset", "line_length", "template_id"})  # the writer's


def parse_hooks(text: str) -> tuple[str, ...]:
    """The hook names in a setting: `pkg.mod:fn,other:fn` (empty: none)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


_REGISTERED: dict[str, HookFn] = {}
REGISTERED = "<registered>"


def register_hook(fn: HookFn) -> str:
    """Give a callable a hook name that `load_hook` resolves in this process (and its forks)."""
    if not callable(fn):
        raise ConfigError(f"a hook must be callable, not {type(fn).__name__}")
    name = f"{REGISTERED}:{getattr(fn, '__qualname__', 'hook')}#{id(fn):x}"
    _REGISTERED[name] = fn
    return name


def load_hook(name: str) -> HookFn:
    """Import a `module:function` hook (ConfigError saying what is wrong otherwise)."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"hook {name!r}: name it as module:function, e.g. myhooks:enrich")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"hook {name!r}: cannot import {module_name} ({exc})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"hook {name!r}: {module_name} has no function {attr}")
    return fn  # type: ignore[no-any-return]


def check_hooks(names: Sequence[str]) -> None:
    """Fail before an ingest starts when a hook cannot be imported."""
    for name in names:
        load_hook(name)


class HookStats:
    """What the hooks did in one task: records dropped, errors per hook, a few samples."""

    def __init__(self) -> None:
        self.dropped = 0
        self.errors: Counter[str] = Counter()
        self.samples: list[dict[str, Any]] = []

    def failed(self, name: str, exc: BaseException, offset: int) -> None:
        """Count a hook's failure on the record at `offset`."""
        self.errors[name] += 1
        if len(self.samples) < SAMPLES_KEPT:
            error = f"{type(exc).__name__}: {exc}"[:200]
            self.samples.append({"hook": name, "error": error, "file_offset": offset})


class Hooks:
    """The hooks of one task, imported once, applied to each record's events rows."""

    def __init__(self, names: Sequence[str]) -> None:
        self.fns = [(name, load_hook(name)) for name in names]
        self.stats = HookStats()

    def apply(self, rows: Rows, offset: int) -> Rows | None:
        """The record's rows after the hooks; None when they dropped all its events rows."""
        kept: Rows = []
        events = 0
        for stream, row in rows:
            if stream is not Stream.EVENTS:
                kept.append((stream, row))
                continue
            events += 1
            changed = self._run(row, offset)
            if changed is not None:
                kept.append((stream, changed))
        if events and not any(s is Stream.EVENTS for s, _ in kept):
            self.stats.dropped += 1
            return None
        return kept

    def _run(self, row: dict[str, Any], offset: int) -> dict[str, Any] | None:
        for name, fn in self.fns:
            try:
                out = fn(dict(row))
                if out is None:
                    return None
                if not isinstance(out, dict):
                    raise TypeError(f"returned {type(out).__name__}, not a dict or None")
                row = _fold(out, row)
            except Exception as exc:  # noqa: BLE001 - a user's hook may raise anything
                self.stats.failed(name, exc, offset)
        return row


def _fold(out: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The hook's row: columns as returned, other keys merged into `attrs` (JSON text)."""
    row = {k: v for k, v in out.items() if k in _EVENT_COLUMNS}
    for key in _OWN & before.keys():
        row[key] = before[key]  # offsets keep pointing at the raw record
    if not isinstance(row.get("ts"), int):
        raise TypeError("ts must stay an integer (microseconds since the epoch)")
    extra = {k: v for k, v in out.items() if k not in _EVENT_COLUMNS}
    if extra:
        attrs = orjson.loads(row["attrs"]) if row.get("attrs") else {}
        if not isinstance(attrs, dict):
            attrs = {"attrs": attrs}
        attrs.update(extra)
        row["attrs"] = orjson.dumps(attrs, default=str).decode()
    return row


def summary(stats: Sequence[HookStats]) -> dict[str, Any]:
    """The ingest report's `hooks` part, over every task's stats."""
    errors: Counter[str] = Counter()
    samples: list[dict[str, Any]] = []
    for s in stats:
        errors.update(s.errors)
        samples.extend(s.samples[: SAMPLES_KEPT - len(samples)])
    return {
        "dropped": sum(s.dropped for s in stats),
        "errors": dict(sorted(errors.items())),
        "error_total": sum(errors.values()),
        "error_samples": samples,
    }
