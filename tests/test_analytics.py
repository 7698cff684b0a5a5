"""Service functions against numbers computed independently from the raw logs (tests/oracle.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import TEST_DATA, Runner, shared
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import InputError, NotFoundError
from loglake.ingest.pipeline import ingest
from oracle import Oracle


def _generated(tmp: Path, size: str, seed: int) -> Path:
    out = tmp / f"gen-{seed}.log"
    subprocess.run(
        [sys.executable, "-m", "loglake.generate", "--size", size, "--seed", str(seed),
         "--faults", "--tz", "+00:00,+02:00", "-o", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analytics, Oracle, Path]:
    """A seeded generated log (with faults and two time zones), ingested."""
    tmp = tmp_path_factory.mktemp("generated")
    log = _generated(tmp, "4MB", 21)
    settings = Settings(root=tmp / "lake", workers=2, range_bytes=1024 * 1024)
    ingest([str(log)], settings)
    return Analytics(settings), Oracle().add(log), log


@pytest.fixture(scope="module")
def hatchet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analytics, Oracle]:
    """Three real replica-set member logs (.gz) in one dataset."""
    paths = [shared("mongodb", "json", f"hatchet-6.0.14-rs{n}.log.gz") for n in (1, 2, 3)]
    settings = Settings(root=tmp_path_factory.mktemp("hatchet") / "lake", workers=2)
    ingest([str(p) for p in paths], settings)
    oracle = Oracle()
    for p in paths:
        oracle.add(p)
    return Analytics(settings), oracle


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q * 100, method="linear"))


@pytest.mark.parametrize("which", ["generated", "hatchet"])
def test_summary_matches_the_log(which: str, request: pytest.FixtureRequest) -> None:
    analytics, oracle = request.getfixturevalue(which)[:2]
    got = analytics.ask("summary", {})
    durations = [s.duration_ms for s in oracle.slow]
    assert got["count"] == len(oracle.slow) > 100
    assert got["total_duration_ms"] == pytest.approx(sum(durations))
    assert got["p50_ms"] == pytest.approx(_percentile(durations, 0.5))
    assert got["p95_ms"] == pytest.approx(_percentile(durations, 0.95))
    assert got["p99_ms"] == pytest.approx(_percentile(durations, 0.99))
    first = min(s.ts for s in oracle.slow)
    assert got["first_ts"] == first.isoformat().replace("+00:00", "Z")
    namespaces = Counter(s.ns for s in oracle.slow)
    top = {row["key"]: row["count"] for row in got["top_namespaces"]}
    for ns, count in top.items():
        assert namespaces[ns] == count
    assert sum(row["count"] for row in got["top_plans"]) <= got["count"]


@pytest.mark.parametrize("which", ["generated", "hatchet"])
def test_patterns_by_query_hash_and_namespace(which: str, request: pytest.FixtureRequest) -> None:
    analytics, oracle = request.getfixturevalue(which)[:2]
    by_hash = analytics.ask("patterns", {"group_by": "query_hash", "limit": "1000"})
    expected = Counter(s.query_hash for s in oracle.slow)
    assert {r["key"]: r["count"] for r in by_hash["rows"]} == dict(expected)
    by_ns = analytics.ask("patterns", {"group_by": "namespace", "limit": "1000", "sort": "count"})
    expected_ns = Counter(s.ns for s in oracle.slow)
    assert {r["key"]: r["count"] for r in by_ns["rows"]} == dict(expected_ns)
    counts = [r["count"] for r in by_ns["rows"]]
    assert counts == sorted(counts, reverse=True)
    for row in by_ns["rows"]:
        durations = [s.duration_ms for s in oracle.slow if s.ns == row["key"]]
        assert row["total_ms"] == pytest.approx(sum(durations))
        assert row["max_ms"] == max(durations)
        assert row["p95_ms"] == pytest.approx(_percentile(durations, 0.95))
        assert row["namespace"] == row["key"]


def test_pattern_sample_locates_the_slowest_execution(generated: Any) -> None:
    analytics, oracle, _ = generated
    rows = analytics.ask("patterns", {"group_by": "shape", "limit": "5"})["rows"]
    by_offset = {s.offset: s for s in oracle.slow}
    for row in rows:
        sample = row["sample"]
        slow = by_offset[sample["file_offset"]]
        assert slow.duration_ms == row["max_ms"]
        assert slow.ns == row["namespace"]
        assert len(slow.line) == sample["line_length"]


def test_patterns_are_sorted_by_the_chosen_column(generated: Any) -> None:
    analytics = generated[0]
    for sort in ("total_ms", "count", "avg_ms", "max_ms", "p95_ms", "docs_examined"):
        for order in ("asc", "desc"):
            rows = analytics.ask("patterns", {"sort": sort, "order": order, "limit": "1000"})[
                "rows"
            ]
            values = [r[sort] for r in rows if r[sort] is not None]
            assert values == sorted(values, reverse=order == "desc"), (sort, order)


def test_namespace_filter_total_and_duration_sorted_pages(generated: Any) -> None:
    analytics, oracle, _ = generated
    ns = Counter(s.ns for s in oracle.slow).most_common(1)[0][0]
    expected = sorted((s.duration_ms for s in oracle.slow if s.ns == ns), reverse=True)
    seen: list[float] = []
    offsets: set[int] = set()
    for page in range(3):
        got = analytics.ask(
            "slow_queries",
            {"namespace": ns, "sort": "duration_ms", "limit": "25", "offset": str(page * 25)},
        )
        assert got["total"] == len(expected)
        seen += [r["duration_ms"] for r in got["rows"]]
        offsets |= {r["file_offset"] for r in got["rows"]}
        assert all(r["namespace"] == ns for r in got["rows"])
    assert seen == expected[:75]
    assert len(offsets) == len(seen)  # pages never overlap


def test_filters_each_match_an_independent_count(generated: Any) -> None:
    analytics, oracle, _ = generated
    times = sorted(s.ts for s in oracle.slow)
    start, end = times[len(times) // 4], times[len(times) // 2]
    cases: list[tuple[dict[str, str], int]] = [
        ({"min_ms": "1000"}, sum(s.duration_ms >= 1000 for s in oracle.slow)),
        ({"max_ms": "200"}, sum(s.duration_ms <= 200 for s in oracle.slow)),
        ({"plan": "COLLSCAN"}, sum(s.plan == "COLLSCAN" for s in oracle.slow)),
        (
            {"from": start.isoformat(), "to": end.isoformat()},
            sum(start <= s.ts < end for s in oracle.slow),
        ),
        (
            # a naive time is UTC; +02:00 is the same instant written elsewhere
            {"from": (start + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"},
            sum(s.ts >= start for s in oracle.slow),
        ),
        ({"hide_system": "1"}, sum(s.ns.split(".")[0] not in ("admin", "local", "config")
                                   for s in oracle.slow)),
    ]  # fmt: skip
    for args, expected in cases:
        assert analytics.ask("slow_queries", args)["total"] == expected, args
        assert analytics.ask("summary", args)["count"] == expected, args


def test_text_filter_is_a_value_not_sql(generated: Any) -> None:
    analytics, oracle, _ = generated
    for hostile in ("' OR 1=1 --", "%", "\\", '"; DROP VIEW slow_queries; --'):
        assert analytics.ask("slow_queries", {"q": hostile})["total"] == 0
    # `_` is a literal underscore, not a LIKE wildcard: some namespaces have one, not all
    underscore = analytics.ask("slow_queries", {"q": "_"})["total"]
    assert sum("_" in s.ns for s in oracle.slow) <= underscore < len(oracle.slow)
    assert analytics.ask("summary", {})["count"] == len(oracle.slow)  # views intact


def test_detail_returns_the_original_line(generated: Any) -> None:
    analytics, oracle, _ = generated
    page = analytics.ask("slow_queries", {"sort": "duration_ms", "limit": "10"})["rows"]
    by_offset = {off: line for off, line, _ in oracle.lines}
    for row in page:
        got = analytics.ask(
            "detail", {"file_id": row["file_id"], "file_offset": str(row["file_offset"])}
        )
        assert got["raw"].encode() == by_offset[row["file_offset"]]
        assert got["stream"] == "slow_queries"
        assert got["record"]["duration_ms"] == row["duration_ms"]
        assert '"durationMillis"' in got["pretty"]


def test_detail_refuses_what_is_not_a_logged_line(generated: Any) -> None:
    analytics = generated[0]
    file_id = analytics.ask("slow_queries", {"limit": "1"})["rows"][0]["file_id"]
    with pytest.raises(NotFoundError):
        analytics.ask("detail", {"file_id": "../../../etc/passwd", "file_offset": "0"})
    with pytest.raises(NotFoundError):
        analytics.ask("detail", {"file_id": file_id, "file_offset": "3"})  # mid-line
    with pytest.raises(InputError):
        analytics.ask("detail", {"file_id": file_id, "file_offset": "-1"})
    with pytest.raises(InputError):
        analytics.ask("detail", {"file_id": file_id})


def test_trend_series_add_up_to_the_patterns(generated: Any) -> None:
    analytics = generated[0]
    for group_by in ("shape", "namespace", "plan"):
        got = analytics.ask("trend", {"group_by": group_by, "top": "5", "sample": "300"})
        top = analytics.ask("patterns", {"group_by": group_by, "limit": "5"})["rows"]
        top = [r for r in top if r["key"] is not None]  # rows without a plan get no series
        assert [s["key"] for s in got["series"]] == [r["key"] for r in top]
        for series, row in zip(got["series"], top, strict=False):
            assert sum(p["count"] for p in series["points"]) == row["count"]
            ts = [p["t"] for p in series["points"]]
            assert ts == sorted(ts)
        assert len(got["sample"]) == 300
        assert got["bucket_seconds"] in (60, 300, 900, 3600, 21600, 86400)
    again = analytics.ask("trend", {"sample": "300", "bucket": "1h"})
    assert again["bucket_seconds"] == 3600


def test_workload_shares_and_heatmap_cells(generated: Any) -> None:
    analytics, oracle, _ = generated
    got = analytics.ask("workload", {})
    total = sum(s.duration_ms for s in oracle.slow)
    assert got["total_ms"] == pytest.approx(total)
    for key in ("by_db", "by_collection", "by_op"):
        assert sum(r["share"] for r in got[key]) == pytest.approx(1.0)
    by_db = Counter()
    for s in oracle.slow:
        by_db[s.ns.split(".", 1)[0]] += s.duration_ms
    assert {r["key"]: r["total_ms"] for r in got["by_db"]} == pytest.approx(dict(by_db))
    heat = analytics.ask("heatmap", {})
    cells = Counter((s.ts.date().isoformat(), s.ts.hour) for s in oracle.slow)
    assert {(c["day"], c["hour"]): c["count"] for c in heat["cells"]} == dict(cells)


def test_auth_summary_and_logs_on_a_real_log(tmp_path: Path) -> None:
    log = shared("mongodb", "json", "sanket-4.4.3.log")
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(log)], settings)
    oracle = Oracle().add(log)
    analytics = Analytics(settings)
    got = analytics.ask("auth_summary", {})
    assert (got["success"], got["failure"]) == (oracle.auth_ok, oracle.auth_fail) == (6, 8)
    assert sum(r["failure"] for r in got["by_user"]) == 8
    assert sum(p["success"] + p["failure"] for p in got["timeline"]) == 14
    logs = analytics.ask("auth_logs", {"result": "failure", "limit": "5"})
    assert logs["total"] == 8
    assert len(logs["rows"]) == 5
    ts = [r["ts"] for r in logs["rows"]]
    assert ts == sorted(ts, reverse=True)
    assert all(r["result"] == "failure" for r in logs["rows"])


def test_auth_and_connections_on_generated_log(generated: Any) -> None:
    analytics, oracle, _ = generated
    auth = analytics.ask("auth_summary", {})
    assert (auth["success"], auth["failure"]) == (oracle.auth_ok, oracle.auth_fail)
    assert oracle.auth_ok > 0
    conn = analytics.ask("connections", {})
    assert (conn["accepted"], conn["ended"]) == (oracle.accepted, oracle.ended)
    assert conn["peak_open"] == oracle.peak_open
    assert conn["unique_hosts"] == len(oracle.accepted_ips)
    assert sum(p["accepted"] for p in conn["timeline"]) == oracle.accepted
    assert conn["sessions"]["count"] > 0
    assert conn["drivers"] and conn["apps"]


@pytest.mark.parametrize(
    ("log", "accepted", "ended"),
    [("edutask-8.2.7.log", 75, 75), ("replset-5.0.5-a.log", 3, 1)],
)
def test_connections_on_real_logs(tmp_path: Path, log: str, accepted: int, ended: int) -> None:
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(shared("mongodb", "json", log))], settings)
    got = Analytics(settings).ask("connections", {})
    assert (got["accepted"], got["ended"]) == (accepted, ended)


def test_cache_serves_repeats_and_a_new_ingest_invalidates_it(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(TEST_DATA / "mongod-6.0-setup.log")], settings)
    analytics = Analytics(settings)
    first = analytics.ask("summary", {})
    hits = analytics.cache.hits
    assert analytics.ask("summary", {}) is first
    assert analytics.cache.hits == hits + 1
    more = tmp_path / "more.log"
    shutil.copy(shared("mongodb", "json", "replset-5.0.5-a.log"), more)
    ingest([str(more)], settings)
    after = analytics.ask("summary", {})
    assert after["count"] == first["count"] + 10


def test_empty_dataset_answers_with_zeros(tmp_path: Path) -> None:
    analytics = Analytics(Settings(root=tmp_path / "nothing"))
    assert analytics.ask("summary", {})["count"] == 0
    assert analytics.ask("slow_queries", {})["rows"] == []
    assert analytics.ask("patterns", {})["rows"] == []
    assert analytics.ask("connections", {})["accepted"] == 0
    assert analytics.ask("trend", {})["series"] == []


def test_ingest_precomputes_the_dashboard_answers(tmp_path: Path, runner: Runner) -> None:
    from loglake.analytics.precompute import answers_path, dashboard

    root = tmp_path / "lake"
    log = shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz")
    result = runner.run("ingest", str(log), "--out", str(root), "-q", catch=True)
    assert result.exit_code == 0, result.output
    fresh = Analytics(Settings(root=root, precomputed_answers=False, cache_entries=0))
    version = fresh.version()
    stored = json.loads(answers_path(root, version).read_text())
    assert stored["dataset_version"] == version
    for question in dashboard():  # exactly what the queries answer
        assert stored["answers"][question] == fresh.ask(question, {}), question

    # the file is what answers default questions at its version, and only those
    stored["answers"]["summary"]["count"] = -1
    answers_path(root, version).write_text(json.dumps(stored))
    served = Analytics(Settings(root=root, cache_entries=0))
    assert served.ask("summary", {})["count"] == -1
    assert served.ask("summary", {"plan": "COLLSCAN"})["count"] >= 0

    more = tmp_path / "more.log"
    shutil.copy(shared("mongodb", "json", "replset-5.0.5-a.log"), more)
    runner.run("ingest", str(more), "--out", str(root), "-q", catch=True)
    assert not answers_path(root, version).exists()  # the old version's answers are gone
    assert served.ask("summary", {})["count"] == 440 + 10
