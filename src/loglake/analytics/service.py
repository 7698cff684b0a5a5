"""The one entry point the API, the web pages and the CLI use to ask the lake a question.

`Analytics(settings).ask("patterns", {"group_by": "namespace"})` validates the raw
parameters, answers from the result cache when the dataset has not changed, and otherwise
runs the question's function on the DuckDB engine (or on the Polars fallback when DuckDB
is disabled or missing, for the questions it supports).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from loglake.analytics import auth, connections, detail, slow
from loglake.analytics.cache import ResultCache, cache_key
from loglake.analytics.params import QUESTIONS, parse_params
from loglake.analytics.precompute import Answers, is_default
from loglake.config import Settings
from loglake.errors import LoglakeError
from loglake.store.raw import RawReader

log = logging.getLogger(__name__)

# questions answered with a cursor inside one snapshot: fn(cur, params)
CURSOR_QUESTIONS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "summary": slow.summary,
    "patterns": slow.patterns,
    "trend": slow.trend,
    "slow_queries": slow.slow_queries,
    "workload": slow.workload,
    "heatmap": slow.heatmap,
    "auth_summary": auth.auth_summary,
    "auth_logs": auth.auth_logs,
    "connections": connections.connections,
}


class DegradedError(LoglakeError):
    """The question needs DuckDB, and the fallback engine is answering."""


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
        if settings.disable_duckdb or not duckdb_available():
            from loglake.analytics import polars_engine

            self.engine = "polars"
            self._polars = polars_engine.PolarsLake(self.root)
            self._polars_questions = polars_engine.QUESTIONS
            self.lake: Any = None
        else:
            from loglake.analytics.engine import Lake

            self.engine = "duckdb"
            self.lake = Lake(self.root, settings)
            self._locator = detail.RowLocator()

    @property
    def degraded(self) -> list[str]:
        """Questions this engine cannot answer (none with DuckDB)."""
        if self.engine == "duckdb":
            return []
        from loglake.advisor.registry import POLARS_READY

        return sorted(
            q for q in QUESTIONS if q not in self._polars_questions and q not in POLARS_READY
        )

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
            raise DegradedError(
                f"{question} needs DuckDB; the Polars fallback engine is answering "
                "(unset LOGLAKE_DISABLE_DUCKDB or install duckdb)"
            )
        key = cache_key(self.version(), question, params)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if self.settings.precomputed_answers and is_default(question, params):
            stored = self._answers.get(key[0], question)
            if stored is not None:
                self.cache.put(key, stored)
                return stored  # type: ignore[no-any-return]
        started = time.perf_counter()
        version, result = self.compute(question, params)
        self.timings.setdefault(question, []).append(time.perf_counter() - started)
        self.cache.put(cache_key(version, question, params), result)
        return result

    def compute(self, question: str, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """Run a question's queries (no cache); the dataset version they saw, and the answer."""
        from loglake.advisor.registry import ADVISOR_QUESTIONS  # lazy: advisor imports us

        if question in ADVISOR_QUESTIONS:
            return self.version(), ADVISOR_QUESTIONS[question](self, params)
        if self.engine == "polars":
            version = self._polars.refresh()
            return version, self._polars_questions[question](self._polars, self.reader, params)
        if question == "search":
            from loglake.analytics.search import search

            return self.lake.refresh(), search(self.lake, params)
        with self.lake.snapshot() as cur:
            version = self.lake.snapshot_version(cur)
            if question == "detail":
                return version, detail.detail(cur, self.lake, self._locator, self.reader, params)
            return version, CURSOR_QUESTIONS[question](cur, params)

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
