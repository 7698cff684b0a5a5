"""`ingest --follow`: keep ingesting what live log files gain, like `tail -F`.

Each round is an ordinary ingest (its own atomic commit, followed by the after-commit
listeners), so a reader always sees whole rounds; every COMPACT_EVERY rounds the small
files the rounds wrote are merged. Only
complete lines are read; a line still being written waits for the next round. A file that
grew is read from where the last round ended; a rotated file (renamed,
then a new one created at the path) is recognised by its content, so the renamed file's
last lines are read under its old file_id and the new file starts a new one; a file
truncated in place starts over as a new file. A round that finds the lake locked by
another change (a server's pushes, say) is tried again BUSY_RETRY_S later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from loglake.config import Settings
from loglake.errors import InputError, LockError
from loglake.ingest.compact import compact
from loglake.ingest.pipeline import ProgressFn, ingest
from loglake.store.listeners import Listener

COMPACT_EVERY = 50  # rounds with new data between compactions of crowded partitions
BUSY_RETRY_S = 0.05  # how soon a round that found the lake locked is tried again


def _quiet(_phase: str, _done: int, _total: int) -> None:
    return None


def follow(
    inputs: list[str],
    settings: Settings,
    on_round: Callable[[dict[str, Any]], None],
    warn: Callable[[str], None],
    fmt: str | None = None,
    force: bool = False,
    interval: float = 1.0,
    stop: threading.Event | None = None,
    progress: ProgressFn | None = None,
    listeners: Sequence[Listener] = (),
) -> int:
    """Ingest rounds every `interval` seconds until `stop` is set; returns rounds committed."""
    stop = stop or threading.Event()
    committed = 0
    while not stop.is_set():
        wait = interval
        try:
            report = ingest(
                inputs,
                settings,
                fmt=fmt,
                force=force,
                warn=warn,
                complete_only=True,
                progress=progress or _quiet,
                listeners=listeners,
            )
        except InputError as exc:  # e.g. the file is being rotated: try again next round
            warn(f"follow: {exc}")
        except LockError:  # another change (a push, a compaction) holds the lake: soon again
            wait = min(interval, BUSY_RETRY_S)
        else:
            if sum(report["rows"].values()) or report["bad_lines"]["total"]:
                committed += 1
                on_round(report)
                if committed % COMPACT_EVERY == 0:
                    try:
                        compact(
                            settings.root,
                            compression=settings.compression,
                            warn=warn,
                            listeners=listeners,
                        )
                    except LockError:
                        warn("follow: the lake is busy; compaction waits for a later round")
        force = False  # only the first round may override a lock
        stop.wait(wait)
    return committed
