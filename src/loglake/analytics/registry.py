"""One registry of questions: each is declared once, and everything else is read from here.

A `Question` is its name, a one-line summary, its parameters, one implementation per engine,
its GET route under /api/, its `loglake` command, the streams it reads and whether the
dashboard's answer is precomputed. The API routes, the OpenAPI document, the CLI commands
and their options, the Polars engine's degraded list and the precomputed answers all derive
from it.

Built-in questions are registered the way a plugin registers its own (datasette's model):
each module named in `PLUGINS` has a `register_questions(registry)` hook, called once when
the registry is first read. The advisor sits above analytics, so no module here imports it:
it is only named, and loaded like any plugin.

Every implementation has one call signature, `fn(session, params) -> answer`, where the
session (`session.py`) is what the engine offers a question and `params` are validated;
`on_cursor` and `on_frames` adapt the two common kinds.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from loglake.errors import ConfigError

if TYPE_CHECKING:
    from loglake.analytics.params import Param
    from loglake.analytics.session import DuckSession, PolarsSession
    from loglake.schema import Stream

Answer = dict[str, Any]
Params = dict[str, Any]
DuckAnswer = Callable[["DuckSession", Params], Answer]
PolarsAnswer = Callable[["PolarsSession", Params], Answer]

# modules whose `register_questions(registry)` hook adds the built-in questions
PLUGINS = (
    "loglake.analytics.questions",
    "loglake.analytics.postgres",
    "loglake.analytics.interactions",
    "loglake.advisor.questions",
)


@dataclass(frozen=True)
class Cli:
    """How a question is a `loglake` command: its name, and a parameter given as its argument."""

    command: str
    argument: str | None = None


@dataclass(frozen=True)
class Question:
    """A question, declared once: what it asks, how each engine answers it, where it is served."""

    name: str
    summary: str
    params: tuple[Param, ...]
    duckdb: DuckAnswer
    polars: PolarsAnswer | None = None  # None: degraded while the Polars fallback answers
    route: str | None = None  # GET /api<route>
    cli: Cli | None = None
    streams: tuple[Stream, ...] = ()  # what it reads (OpenAPI tags; alert rules later)
    precompute: bool = False  # its unfiltered answer is written after every ingest
    answer_keys: tuple[str, ...] = ()  # keys every answer carries (the OpenAPI schema)
    not_found: bool = False  # answers 404 when the thing it is asked about does not exist


class Registry:
    """Every question by name, filled by the `register_questions` hook of each plugin module."""

    def __init__(self, plugins: tuple[str, ...] = ()) -> None:
        self._plugins = plugins
        self._loaded = not plugins
        self._loading = False
        self._lock = threading.RLock()  # a hook's `add` reads the registry it fills
        self._questions: dict[str, Question] = {}
        self._routes: dict[str, str] = {}

    def _load(self) -> dict[str, Question]:
        if self._loaded:
            return self._questions
        with self._lock:
            if not self._loaded and not self._loading:
                self._loading = True
                try:
                    for name in self._plugins:
                        importlib.import_module(name).register_questions(self)
                finally:
                    self._loading = False
                self._loaded = True
        return self._questions

    def add(self, question: Question) -> None:
        """Register a question; a name, route or command already taken is a ConfigError."""
        if question.name in self._load():
            raise ConfigError(f"a question named {question.name!r} is already registered")
        if question.route in self._routes:
            raise ConfigError(
                f"{question.name}: route {question.route} already serves "
                f"{self._routes[question.route]}"
            )
        commands = {q.cli.command: q.name for q in self._questions.values() if q.cli}
        if question.cli and question.cli.command in commands:
            raise ConfigError(
                f"{question.name}: command {question.cli.command!r} already asks "
                f"{commands[question.cli.command]}"
            )
        self._questions[question.name] = question
        if question.route:
            self._routes[question.route] = question.name

    def remove(self, name: str) -> None:
        """Unregister a question (a plugin unloaded, or a test's question)."""
        question = self._load().pop(name)
        if question.route:
            del self._routes[question.route]

    def __getitem__(self, name: str) -> Question:
        return self._load()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def __iter__(self) -> Iterator[Question]:
        return iter(list(self._load().values()))

    @property
    def routes(self) -> Mapping[str, str]:
        """Route (under /api) -> question name, a live read-only view."""
        self._load()
        return MappingProxyType(self._routes)

    def commands(self) -> dict[str, Question]:
        """CLI command name -> its question."""
        return {q.cli.command: q for q in self if q.cli}


QUESTIONS = Registry(PLUGINS)


def _late(ref: str | Callable[..., Answer]) -> Callable[[], Callable[..., Answer]]:
    """A function, or one named `module:function` and imported when first called: the
    registry is read by `loglake --help`, which must not import every question's code."""
    if callable(ref):
        return lambda: ref
    module, _, name = ref.partition(":")

    @functools.cache
    def load() -> Callable[..., Answer]:
        fn: Callable[..., Answer] = getattr(importlib.import_module(module), name)
        return fn

    return load


def on_cursor(fn: str | Callable[[Any, Params], Answer]) -> DuckAnswer:
    """A DuckDB question of one snapshot, `fn(cur, params)` (or its `module:function`)."""
    load = _late(fn)

    def answer(session: DuckSession, params: Params) -> Answer:
        with session.snapshot() as cur:
            return load()(cur, params)

    return answer


def on_session(ref: str) -> Callable[[Any, Params], Answer]:
    """A question answered by `fn(session, params)` named `module:function` (either engine)."""
    load = _late(ref)

    def answer(session: Any, params: Params) -> Answer:
        return load()(session, params)

    return answer


def on_frames(ref: str) -> PolarsAnswer:
    """A Polars question of one snapshot, `fn(snapshot, params)` named `module:function`.

    Imported when first asked: polars is heavy, and only needed when DuckDB is not there.
    """
    load = _late(ref)

    def answer(session: PolarsSession, params: Params) -> Answer:
        return load()(session.snapshot(), params)

    return answer
