"""Group commit for pushed bodies: concurrent pushes wait together, one ingest commits them.

`PushBatcher.push(payload)` queues a body and blocks until the ingest that holds it has
committed (or failed): a push is acknowledged only once its records are in the lake. One
thread takes the queue once `push_batch_records` records wait or the oldest body has waited
`push_batch_ms`, and runs one ordinary ingest over those bodies, with the after-commit
listeners; its tasks (a body each) run in worker processes started once by a fork server
(`executors.local.KeptPool`: a threaded server is never forked), inline with one worker.
A body's client is answered as soon as the commit is durable; the listeners (summaries,
answers, alert evaluation) run after, under the lake's lock, while the next batch gathers;
while more bodies wait, their work over the whole dataset is done at most every
WHOLE_EVERY_S (`Commit.busy`).
Bodies pushed while a commit runs form the next batch. A second body with the idempotency
key of one still waiting shares that body's outcome; one whose key is committed adds
nothing (ingest/push.py). Every COMPACT_EVERY commits (or COMPACT_FILES bodies) the small
files the batches wrote are merged (`compact`), as `--follow` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from loglake.config import Settings
from loglake.errors import LockError, LoglakeError
from loglake.ingest.compact import compact
from loglake.ingest.executors.local import KeptPool
from loglake.ingest.hooks import REGISTERED
from loglake.ingest.pipeline import ingest
from loglake.ingest.push import Payload, outcome
from loglake.store.listeners import Commit, Listener, notify

LOCK_RETRY_S = 15.0  # how long a batch waits for another change's lock before failing
WAIT_S = 300.0  # the longest a push waits for its commit
COMPACT_EVERY = 50  # commits between compactions of crowded partitions
COMPACT_FILES = 400  # ... or bodies (a small file each) committed since the last one
# while pushes keep arriving, the listeners' work over the whole dataset (its summary, the
# precomputed answers) is done at most this often; every commit's own work is done each time
WHOLE_EVERY_S = 5.0


class PushError(LoglakeError):
    """A push could not be committed (the lake is busy, the server is stopping, …)."""


def _ignore(_message: str) -> None:
    return None


@dataclass
class _Waiting:
    payload: Payload
    fmt: str | None
    arrived: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, Any] | None = None
    error: LoglakeError | None = None
    answered: bool = False  # told its outcome (at the commit, before the listeners ran)


class PushBatcher:
    """Commits pushed bodies in batches; thread-safe, one commit at a time."""

    def __init__(
        self,
        settings: Settings,
        listeners: Sequence[Listener] = (),
        on_report: Callable[[dict[str, Any], float], None] | None = None,
        warn: Callable[[str], None] = _ignore,
    ) -> None:
        self.settings = settings.with_options(workers=1)
        # the tasks run in worker processes kept for the server's life (None: inline)
        local = settings.executor.split("://", 1)[0].strip().lower() == "local"
        workers = settings.effective_workers
        registered = any(h.startswith(REGISTERED) for h in settings.hooks.split(","))
        # (a callable registered in this process cannot reach a fork server's workers)
        self._pool = KeptPool(workers) if local and workers > 1 and not registered else None
        self.listeners = listeners
        self.on_report = on_report
        self.warn = warn
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._by_key: dict[str, _Waiting] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0
        self._uncompacted = 0  # bodies committed since the last compaction
        self._whole_at = 0.0  # when a commit last ran the whole-dataset work

    def push(self, payload: Payload, fmt: str | None = None) -> dict[str, Any]:
        """Queue a body and wait for its commit; what it added (PushError when it failed)."""
        with self._cond:
            if self._closed:
                raise PushError("the server is stopping: push again later")
            first = self._by_key.get(payload.key) if payload.key else None
            if first is None:
                first = _Waiting(payload, fmt)
                self._queue.append(first)
                if payload.key:
                    self._by_key[payload.key] = first
                self._start()
                self._cond.notify_all()
        if not first.done.wait(WAIT_S):
            raise PushError(f"no commit within {WAIT_S:.0f} s: push again with the same key")
        if first.error is not None:
            raise first.error
        result = dict(first.result or {})
        if first.payload is not payload:
            result["duplicate"] = True
        return result

    def close(self) -> None:
        """Commit what waits, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=WAIT_S)
        if self._pool is not None:
            self._pool.close()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="loglake-push", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._commit(batch)
            if self._uncompacted and (
                self.commits % COMPACT_EVERY == 0 or self._uncompacted >= COMPACT_FILES
            ):
                self._uncompacted = 0
                self._compact()

    def _compact(self) -> None:
        """Merge the small files of crowded partitions (a failure is only reported)."""
        try:
            compact(
                self.settings.root,
                compression=self.settings.compression,
                warn=self.warn,
                listeners=self.listeners,
            )
        except LoglakeError as exc:
            self.warn(f"push: compaction failed ({exc}); it is tried again later")

    def _next_batch(self) -> list[_Waiting] | None:
        """The bodies of the next commit, once enough records or time have gathered."""
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            deadline = self._queue[0].arrived + self.settings.push_batch_ms / 1000
            while not self._closed:
                waiting = sum(w.payload.records for w in self._queue)
                left = deadline - time.monotonic()
                if waiting >= self.settings.push_batch_records or left <= 0:
                    break
                self._cond.wait(left)
            fmt = self._queue[0].fmt
            batch = [w for w in self._queue if w.fmt == fmt]
            self._queue = [w for w in self._queue if w.fmt != fmt]
            return batch

    def _commit(self, batch: list[_Waiting]) -> None:
        """One ingest over the batch; every body hears its outcome once the commit is
        durable (the after-commit listeners run after), or the error."""
        started = time.perf_counter()
        try:
            report = self._ingest(batch)
            self._answer(batch, report)  # a batch that committed nothing is answered here
            new = sum(f["status"] == "new" for f in report["files"])
            if new:
                self.commits += 1
                self._uncompacted += new
            if self.on_report is not None:
                self.on_report(report, time.perf_counter() - started)
        except LoglakeError as exc:
            for w in batch:
                w.error = None if w.answered else exc
        except Exception as exc:  # noqa: BLE001 - every waiting client must hear of it
            error = PushError(f"internal error ({type(exc).__name__}: {exc})")
            for w in batch:
                w.error = None if w.answered else error
        finally:
            self._release(batch)

    def _answer(self, batch: list[_Waiting], report: dict[str, Any]) -> None:
        """Tell each body of the batch what it added, and wake its client."""
        for w in batch:
            if w.answered:
                continue
            fid = w.payload.file_id
            if fid in report["duplicates"]:
                w.result = {**report["duplicates"][fid], "duplicate": True}
            else:
                w.result = outcome(report, fid, w.payload.records)
            w.result["dataset_version"] = report.get("dataset_version")
            w.answered = True
        self._release(batch)

    def _release(self, batch: list[_Waiting]) -> None:
        with self._cond:
            for w in batch:
                if w.payload.key and self._by_key.get(w.payload.key) is w:
                    del self._by_key[w.payload.key]
                w.done.set()

    def _after_commit(self, commit: Commit) -> None:
        """The listeners, told whether more pushes wait (see WHOLE_EVERY_S)."""
        with self._cond:
            waiting = bool(self._queue)
        now = time.monotonic()
        busy = waiting and now - self._whole_at < WHOLE_EVERY_S
        if not busy:
            self._whole_at = now
        notify(self.listeners, replace(commit, busy=busy), self.warn)

    def _ingest(self, batch: list[_Waiting]) -> dict[str, Any]:
        """The batch's ingest, retried while another change holds the lake's lock."""
        give_up = time.monotonic() + LOCK_RETRY_S
        while True:
            try:
                return ingest(
                    [],
                    self.settings,
                    fmt=batch[0].fmt,
                    payloads=[w.payload for w in batch],
                    listeners=[self._after_commit] if self.listeners else (),
                    warn=self.warn,
                    on_commit=lambda report: self._answer(batch, report),
                    executor=self._pool,
                )
            except LockError:
                if time.monotonic() > give_up:
                    raise PushError(
                        "the lake is busy with another change: push again later"
                    ) from None
                time.sleep(0.2)
