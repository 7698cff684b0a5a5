"""A live PostgreSQL server's logs of a known workload (tests/pg_server.py, pg_workload.py).

The cluster writes the same records as stderr (pgBadger's prefix), csvlog and jsonlog; the
workload knows what it ran, so every count is exact.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_server import running_pg_cluster, unavailable
from pg_workload import Truth, run_workload


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Truth, dict[str, Path]]]:
    """A cluster of its own (the counts start from zero), the workload's truth, its three logs."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("pglogs")
    with running_pg_cluster() as cluster:
        truth = run_workload(cluster)
        logs = {p.suffix.lstrip("."): Path(shutil.copy(p, out / p.name)) for p in cluster.logs}
    yield truth, logs


def _messages(kind: str, path: Path) -> list[tuple[str, str]]:
    """(severity, message) of every record of one log file, read without loglake."""
    text = path.read_text("utf-8")
    if kind == "csv":
        return [(row[11], row[13]) for row in csv.reader(text.splitlines(keepends=True))]
    if kind == "json":
        rows = [json.loads(line) for line in text.splitlines() if line]
        return [(r["error_severity"], r["message"]) for r in rows]
    head = re.compile(r"^\S+ \S+ \S+ \[\d+\]: \[\d+-1\] \S* (\w+):  (.*)$")
    return [m.groups() for m in map(head.match, text.splitlines()) if m]  # type: ignore[misc]


def test_the_cluster_writes_the_workload_to_all_three_logs(
    live: tuple[Truth, dict[str, Path]],
) -> None:
    truth, logs = live
    assert set(logs) == {"log", "csv", "json"}
    for kind, path in logs.items():
        records = [(sev, msg) for sev, msg in _messages(kind, path) if sev != "DETAIL"]
        counts = Counter(
            "statement" if re.match(r"duration: \S+ ms  statement: ", msg)
            else "execute" if re.match(r"duration: \S+ ms  execute ", msg)
            else "plan" if re.match(r"duration: \S+ ms  plan:", msg)
            else msg.split(":")[0] if sev == "LOG" else sev
            for sev, msg in records
        )  # fmt: skip
        assert counts["statement"] == sum(truth.statements.values()), kind
        assert counts["execute"] == sum(truth.executes.values()), kind
        assert counts["plan"] == truth.plans, kind
        assert counts["connection received"] == truth.connections, kind
        assert counts["connection authorized"] == truth.auth_success, kind
        assert counts["disconnection"] == truth.disconnections, kind
        assert counts["ERROR"] == sum(truth.errors.values()), kind
        assert counts["FATAL"] == sum(truth.fatals.values()), kind
        assert counts["temporary file"] == truth.temp_files >= 1, kind
        assert counts["checkpoint starting"] == counts["checkpoint complete"] == truth.checkpoints
        waits = [m for _, m in records if re.match(r"process \d+ still waiting for", m)]
        assert len(waits) == truth.lock_waits, kind
        vacuums = [m for _, m in records if 'vacuum of table "shop.public.av_target"' in m]
        assert len(vacuums) == truth.autovacuum["shop.public.av_target"] >= 1, kind
