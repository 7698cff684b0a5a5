"""What a question's implementation is given: the public face of the service for one answer.

`Analytics` opens a session per answer it computes and calls `fn(session, params)`. A
session offers the engine's dataset (`snapshot()`), original lines (`reader`) and other
questions (`run`, validated parameters, through the cache), and remembers the dataset
version its answer is for, so the answer is cached under the version it read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loglake.analytics.detail import RowLocator
    from loglake.analytics.engine import Lake
    from loglake.analytics.polars_lake import PolarsLake, Snapshot
    from loglake.analytics.service import Analytics
    from loglake.store.raw import RawReader


class Session:
    """One answer being computed, on either engine."""

    def __init__(self, service: Analytics, reader: RawReader, version: str | None) -> None:
        self._service = service
        self.reader = reader  # original lines by (file_id, file_offset, line_length)
        self.version = version  # the dataset version the answer is for
        self._pinned = False

    def pin(self, version: str | None) -> None:
        """The version the first snapshot saw: the answer is for that version."""
        if not self._pinned:
            self.version, self._pinned = version, True

    def run(self, question: str, params: dict[str, Any]) -> dict[str, Any]:
        """Another question's answer (parameters already validated), cached like any."""
        return self._service.run(question, params)


class DuckSession(Session):
    """A session on the DuckDB engine: cursors inside read transactions."""

    def __init__(
        self, service: Analytics, reader: RawReader, lake: Lake, locator: RowLocator
    ) -> None:
        super().__init__(service, reader, lake.refresh())
        self.lake = lake
        self.locator = locator

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A cursor in one read transaction: every statement sees one dataset version."""
        with self.lake.snapshot() as cur:
            self.pin(self.lake.snapshot_version(cur))
            yield cur


class PolarsSession(Session):
    """A session on the Polars fallback engine: lazy frames of one dataset version."""

    def __init__(self, service: Analytics, reader: RawReader, lake: PolarsLake) -> None:
        super().__init__(service, reader, lake.refresh())
        self.lake = lake

    def snapshot(self) -> Snapshot:
        """The file lists of the current version (one question reads one snapshot)."""
        snap = self.lake.snapshot()
        self.pin(snap.version)
        return snap
