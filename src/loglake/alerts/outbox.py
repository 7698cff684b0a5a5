"""Delivering alert notifications off the ingest path: the alert log is the outbox.

An evaluation (the after-commit listener) only logs its alert transitions; each logged
transition names its targets (`notify`), which makes it a persisted, append-safe outbox
entry. Deliveries happen elsewhere, never while an ingest holds the lake:

- a `Courier` thread (in `loglake serve`, beside `--follow`) that the evaluation pokes and
  that also looks every `alert_outbox_poll_ms` (alerts logged by another process);
- `drain(settings, deadline)`: a bounded drain after a batch ingest (`loglake ingest`,
  the Python API), which leaves what it could not deliver in time.

Each delivery is recorded in the alert log (`kind: delivery`, ok or the error). An entry
is delivered until a delivery succeeds or `alert_delivery_rounds` deliveries have failed;
a target that fails rests (`alert_webhook_backoff_ms`, at least 1 s, doubled after each
failed round, at most MAX_REST_S) and the rest of its entries wait. Readers of the outbox
start from the log, so a restart delivers what is left and nothing twice; deliverers hold
`alerts/.outbox.lock` (an exclusive `flock`), so two processes never deliver one entry at
once. A delivery made just before a crash, whose record was not written yet, is made
again (at least once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loglake.alerts import store
from loglake.alerts.notify import deliver
from loglake.alerts.rules import Notify
from loglake.analytics.sql import iso
from loglake.config import Settings, is_remote
from loglake.layout import ALERTS

log = logging.getLogger("loglake.alerts")
Key = tuple[str, str, str]  # (alert id, status, target label)
MAX_REST_S = 300.0  # the longest a failing target rests between rounds
FLUSH_S = 0.5  # delivery records are appended at least this often during a round
OUTBOX_LOCK = ".outbox.lock"


def target_of(name: str) -> Notify:
    """The target a delivery label names (`webhook URL`, `hook module:fn`, `log`)."""
    kind, _, target = name.partition(" ")
    return Notify(kind, target)


def payload_of(record: dict[str, Any]) -> dict[str, Any]:
    """What a notification carries: the logged transition without the log's bookkeeping."""
    return {k: v for k, v in record.items() if k not in ("kind", "notify")}


class Outbox:
    """The entries of the alert log not delivered yet, read incrementally: each log file is
    read once, so a long-lived courier reads only what was appended since its last look."""

    def __init__(self, root: Path, rounds: int) -> None:
        self.root = root
        self.rounds = rounds
        self._read: set[str] = set()
        self._pending: dict[Key, dict[str, Any]] = {}
        self._done: set[Key] = set()
        self._failures: dict[Key, int] = {}

    def refresh(self) -> None:
        """Read the log files written since the last refresh."""
        for rel in store.log_files(self.root):
            if rel in self._read:
                continue
            for record in store.read_log_file(self.root, rel):
                self._take(record)
            self._read.add(rel)

    def _take(self, record: dict[str, Any]) -> None:
        kind = record.get("kind")
        if kind == "alert":
            for name in record.get("notify") or ():
                key = (record["id"], record["status"], name)
                if key not in self._done:
                    self._pending.setdefault(key, record)
        elif kind == "delivery":
            key = (record["id"], record["status"], record["target"])
            failures = self._failures.get(key, 0) + (not record.get("ok"))
            self._failures[key] = failures
            if record.get("ok") or failures >= self.rounds:
                self._done.add(key)
                self._pending.pop(key, None)

    def pending(self) -> list[tuple[Key, dict[str, Any]]]:
        """The entries still to deliver, in the order they were logged."""
        return list(self._pending.items())


@dataclass
class _Rests:
    """Failing targets and when each may be tried again (one deliverer's memory)."""

    until: dict[str, float] = field(default_factory=dict)
    failed_rounds: dict[str, int] = field(default_factory=dict)

    def resting(self, name: str, now: float) -> bool:
        return self.until.get(name, 0.0) > now

    def failed(self, name: str, base_s: float) -> None:
        n = self.failed_rounds.get(name, 0)
        self.failed_rounds[name] = n + 1
        self.until[name] = time.monotonic() + min(MAX_REST_S, max(base_s, 0.01) * 2**n)

    def ok(self, name: str) -> None:
        self.until.pop(name, None)
        self.failed_rounds.pop(name, None)

    def next_try(self, now: float) -> float | None:
        later = [t for t in self.until.values() if t > now]
        return min(later) if later else None


@contextlib.contextmanager
def outbox_lock(root: Path, deadline: float | None) -> Iterator[bool]:
    """Hold the deliverers' lock, waiting until `deadline` (monotonic; None: one try);
    yields whether it is held. On object storage there is nothing to lock: True."""
    if is_remote(root):
        yield True
        return
    import fcntl

    folder = Path(root) / ALERTS
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / OUTBOX_LOCK).open("a") as f:
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is None or time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _round(
    settings: Settings,
    outbox: Outbox,
    rests: _Rests,
    deadline: float | None,
    stop: threading.Event | None,
) -> list[dict[str, Any]]:
    """One pass over the pending entries (a target that fails is left for a later pass);
    the delivery records, appended to the log as it goes."""
    root = settings.root
    out: list[dict[str, Any]] = []
    unwritten: list[dict[str, Any]] = []
    flushed = time.monotonic()
    failed: set[str] = set()
    base_s = max(1.0, settings.alert_webhook_backoff_ms / 1000)
    for key, record in outbox.pending():
        name = key[2]
        now = time.monotonic()
        if (deadline is not None and now >= deadline) or (stop is not None and stop.is_set()):
            break
        if name in failed or rests.resting(name, now):
            continue
        outcome = deliver(settings, target_of(name), payload_of(record))
        if outcome.ok:
            rests.ok(name)
        else:
            failed.add(name)
            rests.failed(name, base_s)
        entry = {
            "kind": "delivery", "id": key[0], "status": key[1], "target": name,
            "ok": outcome.ok, "attempts": outcome.attempts, "error": outcome.error,
            "at": iso(dt.datetime.now(dt.UTC)),
        }  # fmt: skip
        out.append(entry)
        unwritten.append(entry)
        if time.monotonic() - flushed >= FLUSH_S:
            _write(root, unwritten)
            unwritten, flushed = [], time.monotonic()
    _write(root, unwritten)
    outbox.refresh()  # our own records (and anything logged meanwhile)
    return out


def _write(root: Path, records: list[dict[str, Any]]) -> None:
    if records:
        with store.alerts_lock(root):
            store.append(root, records)


def drain(
    settings: Settings,
    deadline: float | None = None,
    outbox: Outbox | None = None,
    rests: _Rests | None = None,
    stop: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Deliver the pending notifications; the delivery records. With `deadline` (monotonic)
    it goes on, waiting out failing targets' rests, until nothing is left or the deadline
    passes; without, it makes one pass. Another process delivering holds the outbox: this
    waits for it until the deadline (None: returns at once)."""
    outbox = outbox or Outbox(settings.root, settings.alert_delivery_rounds)
    rests = rests or _Rests()
    out: list[dict[str, Any]] = []
    outbox.refresh()
    if not outbox.pending():
        return out  # the usual case: no lock taken, nothing created
    with outbox_lock(settings.root, deadline) as held:
        if not held:
            return out
        outbox.refresh()
        while (pending := outbox.pending()) and not (stop is not None and stop.is_set()):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if all(rests.resting(key[2], now) for key, _ in pending):
                wake = rests.next_try(now)
                if deadline is None or wake is None or wake >= deadline:
                    break
                time.sleep(wake - now)
                continue
            out += _round(settings, outbox, rests, deadline, stop)
            if deadline is None:
                break
    return out


def after_ingest(settings: Settings, warn: Callable[[str], None] | None = None) -> int:
    """The bounded drain after a batch ingest (at most `alert_drain_ms`); how many
    notifications were delivered (`warn` hears how many are left for a later drain)."""
    outbox = Outbox(settings.root, settings.alert_delivery_rounds)
    deadline = time.monotonic() + settings.alert_drain_ms / 1000
    done = drain(settings, deadline, outbox)
    left = len(outbox.pending())
    if left and warn is not None:
        warn(
            f"alerts: {left} notification(s) not delivered yet (failing or slow targets, or "
            "another process delivering); the next ingest, --follow or serve delivers them"
        )
    return sum(1 for d in done if d["ok"])


_COURIERS: dict[Path, Courier] = {}
_REGISTRY = threading.Lock()


def poke(root: Path) -> None:
    """Tell the courier of `root` in this process (if one runs) that entries were logged."""
    with _REGISTRY:
        courier = _COURIERS.get(Path(root).resolve())
    if courier is not None:
        courier.poke()


class Courier:
    """A thread that delivers the outbox of one lake: when poked, and every poll."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.root, settings.alert_delivery_rounds)
        self.rests = _Rests()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def start(self) -> Courier:
        """Start delivering (what a previous run left first); registers for `poke`."""
        self._thread = threading.Thread(target=self._loop, name="loglake-alerts", daemon=True)
        with _REGISTRY:
            _COURIERS[Path(self.settings.root).resolve()] = self
        self._thread.start()
        self._wake.set()
        return self

    def poke(self) -> None:
        """Deliver soon."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the delivery under way (its record is written)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with _REGISTRY:
            key = Path(self.settings.root).resolve()
            if _COURIERS.get(key) is self:
                del _COURIERS[key]

    def _loop(self) -> None:
        poll = self.settings.alert_outbox_poll_ms / 1000
        while not self._stop.is_set():
            self._wake.wait(poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.delivered += len(
                    drain(self.settings, None, self.outbox, self.rests, self._stop)
                )
            except Exception as exc:  # noqa: BLE001 - the thread must outlive a bad round
                log.warning("alert delivery failed (%s: %s)", type(exc).__name__, exc)
