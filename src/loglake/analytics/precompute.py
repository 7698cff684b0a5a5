"""Dashboard answers computed once after an ingest, so the first screen opens instantly.

The unfiltered answers a dashboard opens with (the questions registered with
`precompute=True`: summary, patterns, ...) are computed right after every commit (an
after-commit listener: ingest, `--follow` rounds, uploads, compaction, retention) and
written to `summaries/answers-<dataset_version>.json`.
A question asked with exactly its default parameters is then answered from that file while
the dataset version still matches; any other parameters, or another version, run the query.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from loglake.analytics.params import parse_params
from loglake.analytics.registry import QUESTIONS
from loglake.config import Settings
from loglake.layout import SUMMARIES
from loglake.store.fs import LakeFS, json_bytes
from loglake.store.listeners import Commit


def dashboard() -> list[str]:
    """The questions a dashboard asks first, with no parameters (precomputed)."""
    return [q.name for q in QUESTIONS if q.precompute]


def answers_path(root: Path, version: str) -> Path:
    """Where the precomputed answers of one dataset version live."""
    return root / SUMMARIES / f"answers-{version}.json"


def is_default(question: str, params: dict[str, Any]) -> bool:
    """True when the parameters are exactly the question's defaults."""
    return QUESTIONS[question].precompute and params == parse_params(question, {})


class Answers:
    """Reads precomputed answers, keeping the current version's file in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._version: str | None = None
        self._answers: dict[str, Any] = {}

    def get(self, version: str | None, question: str) -> Any | None:
        """The precomputed answer of a question at this version, or None."""
        if version is None:
            return None
        with self._lock:
            if version != self._version:
                self._answers = _read(self.root, version)
                self._version = version
            return self._answers.get(question)


def _read(root: Path, version: str) -> dict[str, Any]:
    """The answers precomputed for a version (through the seam: the root may be a URL)."""
    try:
        data = json.loads(LakeFS(root).read(f"{SUMMARIES}/answers-{version}.json"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("dataset_version") != version:
        return {}
    answers = data.get("answers")
    return answers if isinstance(answers, dict) else {}


def write_answers(analytics: Any) -> Path | None:
    """Compute the dashboard answers of the current version and write them (old ones go)."""
    if analytics.engine != "duckdb":
        return None
    versions, answers = set(), {}
    for question in dashboard():
        version, answers[question] = analytics.compute(question, parse_params(question, {}))
        versions.add(version)
    if len(versions) != 1 or None in versions:  # another ingest committed meanwhile
        return None
    (version,) = versions
    lake = LakeFS(analytics.root)  # the root may be a URL
    rel = f"{SUMMARIES}/answers-{version}.json"
    lake.replace(rel, json_bytes({"dataset_version": version, "answers": answers}))
    for old in lake.files(SUMMARIES):
        if old != rel and old.rsplit("/", 1)[-1].startswith("answers-"):
            lake.remove(old)
    return answers_path(analytics.root, version)


class PrecomputeAnswers:
    """After-commit listener: the dashboard answers of the version just committed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, commit: Commit) -> None:
        """Open the dataset anew (and close it: no DuckDB connection outlives the commit);
        nothing while another commit follows at once (`busy`): the answers are computed
        when asked, until a commit computes them again."""
        if commit.busy:
            return
        from loglake.analytics.service import Analytics  # lazy: the service imports us

        analytics = Analytics(self.settings.with_options(root=commit.manifest.root))
        try:
            write_answers(analytics)
        finally:
            if analytics.lake is not None:
                analytics.lake.close()
