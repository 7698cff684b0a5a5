"""After-commit listeners: the work that follows every committed change of a dataset.

An ingest, a `--follow` round, a compaction and a retention run each call the listeners
they were given once their commit is durable, still under the ingest lock (so the next
change waits for them). The top layers assemble the one list
(`analytics.listeners.after_commit`) and pass it down: the store and ingest never import
the analytics that dataset summaries and precomputed answers need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loglake.errors import LoglakeError
from loglake.store.manifest import Manifest


@dataclass(frozen=True)
class Commit:
    """A committed change: the manifest now in force, and the ingest that made it if any."""

    manifest: Manifest
    ingest_id: str | None = None  # None for compaction and retention
    # another change follows at once (pushes are waiting): work over the whole dataset (its
    # summary, the precomputed answers) may wait for a later commit; work over what this
    # commit added may not
    busy: bool = False


# a listener that commits derived rows itself (the interactions) returns its commit, which
# the listeners after it are given instead
Listener = Callable[[Commit], "Commit | None"]


def notify(listeners: Sequence[Listener], commit: Commit, warn: Callable[[str], None]) -> None:
    """Run every listener in order; one that fails is reported, the commit stands."""
    for listener in listeners:
        try:
            followed = listener(commit)
        except LoglakeError as exc:
            warn(f"after the commit of version {commit.manifest.version}: {exc}")
            continue
        if isinstance(followed, Commit):
            commit = followed
