"""A progress bar on stderr for long ingests."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

_PHASES = {
    "plan": "Planning",
    "parse": "Parsing",
    "commit": "Committing",
    "summaries": "Summaries",
}


class IngestProgress:
    """Shows phase, bytes read, speed and time left; silent when disabled."""

    def __init__(self, enabled: bool = True) -> None:
        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal  # no live bar in CI logs or pipes
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,  # the report printed afterwards says it all
            disable=not self.enabled,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> IngestProgress:
        self._progress.start()
        self._task = self._progress.add_task("Starting", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, phase: str, done: int, total: int) -> None:
        """Called by the ingest with its phase and bytes done of total."""
        if self._task is None:
            return
        label = _PHASES.get(phase, phase)
        if total:
            self._progress.update(self._task, description=label, completed=done, total=total)
        else:
            self._progress.update(self._task, description=label)
