"""The one entry point the API, the web pages and the CLI use to ask the lake a question.

`Analytics(settings).ask("patterns", {"group_by": "namespace"})` validates the raw
parameters, answers from the result cache when the dataset has not changed, and otherwise
runs the question's registered implementation (`registry.py`) on the DuckDB engine, or on
the Polars fallback when DuckDB is disabled or missing, for the questions it implements.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from loglake.analytics.cache import ResultCache, cache_key
from loglake.analytics.detail import RowLocator
from loglake.analytics.params import parse_params
from loglake.analytics.precompute import Answers, is_default
from loglake.analytics.registry import QUESTIONS
from loglake.analytics.session import DuckSession, PolarsSession, Session
from loglake.config import Settings
from loglake.errors import LoglakeError
from loglake.store.raw import RawReader

log = logging.getLogger(__name__)


class DegradedError(LoglakeError):
    """The question needs DuckDB, and the fallback engine is answering."""


def _needs_duckdb(question: str) -> DegradedError:
    return DegradedError(
        f"{question} needs DuckDB; the Polars fallback engine is answering "
        "(unset LOGLAKE_DISABLE_DUCKDB or install duckdb)"
    )


def duckdb_available() -> bool:
    """True when the duckdb module can be imported."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


class Analytics:
    """A dataset opened for questions, shared by every thread of a process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.root
        self.reader = RawReader(self.root)
        self.cache = ResultCache(settings.cache_entries)
        self._answers = Answers(self.root)
        self.timings: dict[str, list[float]] = {}
        # told of every answer: (question, where from: cache|precomputed|computed, seconds)
        self.on_query: Callable[[str, str, float], None] | None = None
        if settings.disable_duckdb or not duckdb_available():
            from loglake.analytics.polars_lake import PolarsLake

            self.engine = "polars"
            self._polars = PolarsLake(self.root)
            self.lake: Any = None
        else:
            from loglake.analytics.engine import Lake

            self.engine = "duckdb"
            self.lake = Lake(self.root, settings)
            self._locator = RowLocator()

    @property
    def degraded(self) -> list[str]:
        """Questions this engine cannot answer (none with DuckDB)."""
        if self.engine == "duckdb":
            return []
        return sorted(q.name for q in QUESTIONS if q.polars is None)

    def version(self) -> str | None:
        """The dataset version the next question will see (re-read when the manifest changes)."""
        if self.lake is not None:
            return self.lake.refresh()
        return self._polars.refresh()

    def ask(self, question: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Validate raw parameters and answer a question (cached per dataset version)."""
        params = parse_params(question, args)
        return self.run(question, params)

    def run(self, question: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer a question whose parameters are already validated."""
        if question in self.degraded:
            raise _needs_duckdb(question)
        asked = time.perf_counter()
        key = cache_key(self.version(), question, params)
        cached = self.cache.get(key)
        if cached is not None:
            self._observed(question, "cache", asked)
            return cached
        if self.settings.precomputed_answers and is_default(question, params):
            stored = self._answers.get(key[0], question)
            if stored is not None:
                self.cache.put(key, stored)
                self._observed(question, "precomputed", asked)
                return stored  # type: ignore[no-any-return]
        started = time.perf_counter()
        version, result = self.compute(question, params)
        self.timings.setdefault(question, []).append(time.perf_counter() - started)
        self.cache.put(cache_key(version, question, params), result)
        self._observed(question, "computed", asked)
        return result

    def _observed(self, question: str, source: str, asked: float) -> None:
        if self.on_query is not None:
            self.on_query(question, source, time.perf_counter() - asked)

    def compute(self, question: str, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """Run a question's queries (no cache); the dataset version they saw, and the answer."""
        spec = QUESTIONS[question]
        session: Session
        if self.engine == "polars":
            if spec.polars is None:
                raise _needs_duckdb(question)
            session = PolarsSession(self, self.reader, self._polars)
            answer = spec.polars(session, params)
        else:
            session = DuckSession(self, self.reader, self.lake, self._locator)
            answer = spec.duckdb(session, params)
        return session.version, answer

    def status(self) -> dict[str, Any]:
        """Engine, degraded questions and cache statistics (the manifest summary is separate)."""
        return {
            "engine": self.engine,
            "degraded": self.degraded,
            "dataset_version": self.version(),
            "cache": {
                "entries": self.cache.size,
                "hits": self.cache.hits,
                "misses": self.cache.misses,
            },
        }
