"""The Python API: `loglake.Lake(root)`, a log lake opened from a program.

```python
lake = loglake.Lake("/var/lib/loglake")
lake.add_hook(lambda row: None if row["level"] == "DEBUG" else row)
lake.ingest_records({"ts": "2024-06-01T12:00:00Z", "level": "error", "msg": "boom"} for …)
lake.logs(level="ERROR", limit=20)["rows"]
lake.aggregate(group_by="level")
lake.metrics("prometheus")
```

Over the same machinery as the CLI and the server: records become the body of an ordinary
ingest (`ingest(payloads=…)`: the formats' sniffing, the hooks, the commit, the
after-commit listeners), committed every `batch_records` records; questions go through
`Analytics` (validation, cache, registry). A Lake is thread-safe: ingests are serialized
by a lock (and the dataset's own lock against other processes), questions run on the
shared engine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from loglake.config import Settings, load_settings
from loglake.errors import ConfigError

Record = Mapping[str, Any] | str | bytes


class Lake:
    """A log lake at `root`: ingest records or files, ask questions, hooks, metrics."""

    def __init__(self, root: str | os.PathLike[str], **settings: Any) -> None:
        from loglake.alerts.metrics import AlertCollector
        from loglake.analytics.metrics import Metrics
        from loglake.analytics.service import Analytics

        self.settings: Settings = load_settings().with_options(root=root, **settings)
        self._analytics = Analytics(self.settings)
        self._metrics = Metrics(
            self.settings.root, self._analytics, [AlertCollector(self.settings.root)]
        )
        self._hooks: list[str] = []
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        """The dataset root."""
        return self.settings.root

    def add_hook(self, hook: Any) -> None:
        """Run a pre-ingest hook on every record from now on: a callable or `module:function`."""
        from loglake.ingest.hooks import load_hook, register_hook

        name = hook if isinstance(hook, str) else register_hook(hook)
        load_hook(name)  # fail now, not at the next ingest
        with self._lock:
            self._hooks.append(name)

    def _ingest_settings(self) -> Settings:
        names = [*filter(None, self.settings.hooks.split(",")), *self._hooks]
        return self.settings.with_options(hooks=",".join(names), workers=1)

    def ingest_records(
        self, records: Iterable[Record], batch_records: int | None = None, fmt: str | None = None
    ) -> dict[str, Any]:
        """Ingest records (dicts as JSON lines, or lines of any known format), one commit
        per `batch_records` (`push_batch_records` by default); what was accepted and why not."""
        size = batch_records or self.settings.push_batch_records
        if size < 1:
            raise ConfigError(f"batch_records must be a positive number, not {size}")
        total: dict[str, Any] = {"accepted": 0, "rejected": 0, "dropped": 0, "reasons": {}}
        total.update(commits=0, dataset_version=None)
        for body in _bodies(records, size):
            self._commit(body, fmt, total)
        self._deliver()
        return total

    def _deliver(self) -> None:
        """The alerts' notifications, after the commits (bounded by `alert_drain_ms`)."""
        from loglake.alerts.outbox import after_ingest

        after_ingest(self.settings)

    def _commit(self, body: bytes, fmt: str | None, total: dict[str, Any]) -> None:
        from loglake.analytics.listeners import after_commit
        from loglake.ingest.pipeline import ingest
        from loglake.ingest.push import Payload, outcome

        payload = Payload(body, name="python")
        started = time.perf_counter()
        with self._lock:
            settings = self._ingest_settings()
            report = ingest(
                [], settings, fmt=fmt, payloads=[payload], listeners=after_commit(settings)
            )
        self._metrics.observe_ingest(report, time.perf_counter() - started)
        done = outcome(report, payload.file_id, payload.records)
        for key in ("accepted", "rejected", "dropped"):
            total[key] += done[key]
        for reason, count in done["reasons"].items():
            total["reasons"][reason] = total["reasons"].get(reason, 0) + count
        total["commits"] += 1
        total["dataset_version"] = report["dataset_version"]
        if "hooks" in report:
            total.setdefault("hook_errors", {})
            for hook, count in report["hooks"]["errors"].items():
                total["hook_errors"][hook] = total["hook_errors"].get(hook, 0) + count

    def ingest(
        self, paths: Iterable[str | os.PathLike[str]], fmt: str | None = None
    ) -> dict[str, Any]:
        """Ingest files, directories, globs or `s3://` objects, as `loglake ingest` does."""
        from loglake.analytics.listeners import after_commit
        from loglake.ingest.pipeline import ingest

        with self._lock:
            settings = self._ingest_settings().with_options(workers=self.settings.workers)
            report = ingest([os.fspath(p) for p in paths], settings, fmt=fmt,
                            listeners=after_commit(settings))  # fmt: skip
        self._metrics.observe_ingest(report, report["seconds"])
        self._deliver()
        return report

    def ask(self, question: str, **params: Any) -> dict[str, Any]:
        """Any registered question (`loglake.analytics.registry`), parameters as keywords."""
        return self._analytics.ask(question, _raw(params))

    def logs(self, **filters: Any) -> dict[str, Any]:
        """Log records newest first (`GET /api/logs`): filters such as level=, user=, q=,
        from_=/to=, source=, field=…, and limit=, cursor= for the next page."""
        return self.ask("logs", **filters)

    def aggregate(self, top: str | list[str] | None = None, **params: Any) -> dict[str, Any]:
        """Counts (`GET /api/logs/aggregate`): group_by=, histogram=True [bucket=], top=
        (the facets: top values of fields), stats=, plus any `logs` filter."""
        if top is not None:
            params["facets"] = top
        return self.ask("logs_aggregate", **params)

    def metrics(self, fmt: str = "prometheus") -> str | dict[str, Any]:
        """This lake's metrics: Prometheus text (`prometheus`) or the JSON document (`json`)."""
        if fmt == "prometheus":
            return self._metrics.text().decode()
        if fmt == "json":
            return self._metrics.as_json()
        raise ConfigError(f"metrics format {fmt!r}: choose prometheus or json")


def _raw(params: Mapping[str, Any]) -> dict[str, str]:
    """Keyword arguments as the API's raw parameters (`from_` is `from`; lists joined)."""
    raw = {}
    for key, value in params.items():
        if value is None:
            continue
        name = key.rstrip("_")
        if isinstance(value, bool):
            raw[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            raw[name] = ",".join(map(str, value))
        else:
            raw[name] = str(value)
    return raw


def _bodies(records: Iterable[Record], size: int) -> Iterator[bytes]:
    """The records as bodies of at most `size` lines each."""
    lines: list[bytes] = []
    for record in records:
        if isinstance(record, Mapping):
            line = orjson.dumps(record, default=str)
        elif isinstance(record, str):
            line = record.encode()
        else:
            line = bytes(record)
        lines.append(line.rstrip(b"\n") + b"\n")
        if len(lines) >= size:
            yield b"".join(lines)
            lines = []
    if lines:
        yield b"".join(lines)
