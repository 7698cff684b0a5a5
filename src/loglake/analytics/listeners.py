"""The after-commit listeners, assembled once: what follows every committed change.

`after_commit(settings)` is the one list that `loglake ingest` (and its `--follow` rounds),
the web upload job, `loglake compact` and `loglake clean` pass down to the change they run
(`store/listeners.py` says how they are called). New after-commit work (alert evaluation,
…) is one more entry here.
"""

from __future__ import annotations

import importlib

from loglake.analytics import summaries
from loglake.analytics.interactions_derive import DeriveInteractions
from loglake.analytics.precompute import PrecomputeAnswers
from loglake.analytics.rollup_writer import WriteRollups
from loglake.config import Settings
from loglake.store.listeners import Listener

# modules above analytics with a `listeners(settings) -> list[Listener]` hook, run after
# the built-ins (so analytics never imports them): alert evaluation reads the answers' lake
PLUGINS = ("loglake.alerts.evaluate",)


def after_commit(settings: Settings) -> list[Listener]:
    """The listeners to run after each commit to `settings.root`, in order."""
    # summaries first: they are what `loglake summaries` reads, and cheaper than the answers;
    # the rollups before the answers, which are then computed from them; the interactions
    # first of all: they commit a version of their own, which the others then see
    found: list[Listener] = [
        DeriveInteractions(settings),
        summaries.on_commit,
        WriteRollups(settings),
        PrecomputeAnswers(settings),
    ]
    for name in PLUGINS:
        found.extend(importlib.import_module(name).listeners(settings))
    return found
