"""The alerts' Prometheus metrics, read from the persisted alert log at each scrape.

Counters over the lake's whole history (they survive restarts, and every process serving
the lake reports the same numbers): alerts fired and resolved per rule, and failed
notification deliveries per rule and target kind (`webhook`, `hook`, `log` — never the
target itself: a webhook URL may carry a token). Log files are written once, so each is
read once and its counts kept.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from loglake.alerts import store
from loglake.errors import LoglakeError


class AlertCollector(Collector):
    """`loglake_alerts_fired_total{rule}`, `loglake_alerts_resolved_total{rule}` and
    `loglake_alert_delivery_failures_total{rule,kind}` from the alert log."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._read: set[str] = set()
        self._rules: dict[str, str] = {}  # alert id -> its rule
        self._seen: set[tuple[str, str]] = set()  # (alert id, status) counted once
        self._fired: Counter[str] = Counter()
        self._resolved: Counter[str] = Counter()
        self._failed: Counter[tuple[str, str]] = Counter()

    def _refresh(self) -> None:
        for rel in store.log_files(self.root):
            if rel in self._read:
                continue
            for record in store.read_log_file(self.root, rel):
                self._count(record)
            self._read.add(rel)

    def _count(self, record: dict) -> None:
        kind = record.get("kind")
        if kind == "alert":
            key = (str(record.get("id")), str(record.get("status")))
            if key in self._seen:  # an evaluation run again after a crash logs it again
                return
            self._seen.add(key)
            rule = str(record.get("rule"))
            self._rules[key[0]] = rule
            if key[1] == "firing":
                self._fired[rule] += 1
            elif key[1] == "resolved":
                self._resolved[rule] += 1
        elif kind == "delivery" and not record.get("ok"):
            rule = self._rules.get(str(record.get("id")), "")
            target_kind = str(record.get("target", "")).partition(" ")[0]
            self._failed[rule, target_kind] += 1

    def collect(self) -> Iterator[Metric]:
        """The three counter families (empty when the lake has no alert log yet)."""
        fired = CounterMetricFamily("loglake_alerts_fired", "Alerts fired", labels=["rule"])
        resolved = CounterMetricFamily(
            "loglake_alerts_resolved", "Alerts resolved", labels=["rule"]
        )
        failed = CounterMetricFamily(
            "loglake_alert_delivery_failures",
            "Failed notification deliveries (after their attempts)",
            labels=["rule", "kind"],
        )
        with self._lock:
            with contextlib.suppress(LoglakeError, OSError):  # unreadable: the counts so far
                self._refresh()
            for rule, n in sorted(self._fired.items()):
                fired.add_metric([rule], n)
            for rule, n in sorted(self._resolved.items()):
                resolved.add_metric([rule], n)
            for (rule, kind), n in sorted(self._failed.items()):
                failed.add_metric([rule, kind], n)
        yield from (fired, resolved, failed)
