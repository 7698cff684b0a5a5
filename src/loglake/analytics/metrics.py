"""The metrics of a lake's process, for Prometheus (prometheus_client, names `loglake_`).

Counters and histograms (one registry per `Metrics`) count what this process did: the
ingests it ran (pushes, `Lake.ingest_records`), the questions it answered and from where
(`Analytics.on_query`), the push requests by status. The lake's size (rows, bytes and files
per stream, the dataset version) is read from the committed manifest at each scrape, so it
is the lake's, whoever wrote it. `as_json()` gives the same samples as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from loglake.analytics.service import Analytics
from loglake.errors import LoglakeError
from loglake.ingest.push import NOT_A_LOG
from loglake.schema import Stream
from loglake.store.manifest import load_manifest

QUERY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
INGEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
disable_created_metrics()  # no `_created` series: counters start with the process anyway


class LakeCollector(Collector):
    """The lake's size per stream and its dataset version, from the committed manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self) -> Iterator[Metric]:
        """Gauges read from manifest.json at each scrape (only `loglake_lake_up 0` when the
        manifest cannot be read)."""
        up = GaugeMetricFamily("loglake_lake_up", "1 when the committed manifest reads")
        try:
            manifest = load_manifest(self.root)
        except LoglakeError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        rows = GaugeMetricFamily("loglake_lake_rows", "Rows in the lake", labels=["stream"])
        size = GaugeMetricFamily("loglake_lake_bytes", "Parquet bytes", labels=["stream"])
        files = GaugeMetricFamily("loglake_lake_files", "Parquet files", labels=["stream"])
        totals = {s.value: [0, 0, 0] for s in Stream}
        for art in manifest["artifacts"].values():
            entry = totals.setdefault(art["stream"], [0, 0, 0])
            entry[0] += art["rows"]
            entry[1] += art.get("bytes", 0)
            entry[2] += 1
        for stream, (n, nbytes, nfiles) in sorted(totals.items()):
            rows.add_metric([stream], n)
            size.add_metric([stream], nbytes)
            files.add_metric([stream], nfiles)
        version = GaugeMetricFamily("loglake_dataset_version", "The committed dataset version")
        version.add_metric([], manifest["dataset_version"])
        yield from (rows, size, files, version)


class Metrics:
    """The app's metrics: what its ingests, questions and pushes did."""

    def __init__(
        self, root: Path, analytics: Analytics, collectors: Iterable[Collector] = ()
    ) -> None:
        r = self.registry = CollectorRegistry()
        self.ingest_bytes = Counter(
            "loglake_ingest_bytes", "Input bytes ingested", ["format"], registry=r
        )
        self.ingest_records = Counter(
            "loglake_ingest_records", "Records ingested", ["format"], registry=r
        )
        self.bad_lines = Counter(
            "loglake_ingest_bad_lines", "Records refused", ["reason", "format"], registry=r
        )
        self.ingest_seconds = Histogram(
            "loglake_ingest_seconds", "Ingest duration", buckets=INGEST_BUCKETS, registry=r
        )
        self.commits = Counter("loglake_commits", "Commits of this process's ingests", registry=r)
        self.hook_errors = Counter(
            "loglake_hook_errors", "Pre-ingest hook failures", ["hook"], registry=r
        )
        self.hook_dropped = Counter("loglake_hook_dropped", "Records hooks dropped", registry=r)
        self.query_seconds = Histogram(
            "loglake_query_seconds", "Answer latency", ["question"], buckets=QUERY_BUCKETS,
            registry=r,
        )  # fmt: skip
        self.answers = Counter(
            "loglake_answers", "Answers by where they came from", ["question", "source"],
            registry=r,
        )  # fmt: skip
        self.cache_hits = Counter("loglake_cache_hits", "Answers from the result cache", registry=r)
        self.push_requests = Counter(
            "loglake_push_requests", "POST /api/ingest pushes by status", ["status"], registry=r
        )
        r.register(LakeCollector(root))
        for collector in collectors:  # e.g. the alerts' counters, read from the alert log
            r.register(collector)
        analytics.on_query = self.observe_query

    def observe_query(self, question: str, source: str, seconds: float) -> None:
        """One answer: its latency, and whether the cache gave it."""
        self.query_seconds.labels(question).observe(seconds)
        self.answers.labels(question, source).inc()
        if source == "cache":
            self.cache_hits.inc()

    def observe_ingest(self, report: dict[str, Any], seconds: float) -> None:
        """One ingest's report: bytes, records and bad lines per format, hooks, the commit."""
        for item in report["files"]:
            fmt = item.get("format") or "unknown"
            self.ingest_bytes.labels(fmt).inc(item["bytes"])
            records = item["lines"] - item["blank_lines"] - item["bad_lines"] - item["dropped"]
            self.ingest_records.labels(fmt).inc(max(records, 0))
            for reason, count in item.get("bad_reasons", {}).items():
                self.bad_lines.labels(reason, fmt).inc(count)
            if item["status"] not in ("new", "appended"):
                self.bad_lines.labels(NOT_A_LOG, fmt).inc()
        hooks = report.get("hooks") or {}
        for hook, count in hooks.get("errors", {}).items():
            self.hook_errors.labels(hook).inc(count)
        self.hook_dropped.inc(hooks.get("dropped", 0))
        self.ingest_seconds.observe(seconds)
        if any(item["status"] in ("new", "appended") for item in report["files"]):
            self.commits.inc()

    def count_push(self, status: int) -> None:
        """Count a push request's answer by HTTP status."""
        self.push_requests.labels(str(status)).inc()

    def text(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)

    def as_json(self) -> dict[str, Any]:
        """Every family with its samples, JSON-ready (NaN and infinities as strings)."""
        families = {}
        for family in self.registry.collect():
            families[family.name] = {
                "type": family.type,
                "help": family.documentation,
                "samples": [
                    {"name": s.name, "labels": s.labels, "value": _number(s.value)}
                    for s in family.samples
                ],
            }
        return {"ok": True, "metrics": families}


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)
