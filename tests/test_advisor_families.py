"""Families of query shapes and anomalies (median/MAD), on generated, crafted and real logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import TEST_DATA, query, shared
from loglake.advisor.families import jaccard, label, shape_fields
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import InputError
from loglake.ingest.pipeline import ingest

ANOMALIES = TEST_DATA / "anomalies"


def slow_lines(specs: list[tuple[str, dict[str, Any], dict[str, int] | None, int]]) -> str:
    """MongoDB 4.4+ JSON Slow query lines: (namespace, filter, sort, how many) each."""
    out = []
    for ns, filt, sort, count in specs:
        db, coll = ns.split(".", 1)
        command: dict[str, Any] = {"find": coll, "filter": filt, "$db": db}
        if sort:
            command["sort"] = sort
        for _ in range(count):
            n = len(out)
            attr = {"type": "command", "ns": ns, "command": command, "planSummary": "COLLSCAN",
                    "docsExamined": 100, "nreturned": 1, "durationMillis": 150 + n}  # fmt: skip
            record = {"t": {"$date": f"2024-06-03T10:{n // 60:02d}:{n % 60:02d}.000+00:00"},
                      "s": "I", "c": "COMMAND", "id": 51803, "ctx": f"conn{n}",
                      "msg": "Slow query", "attr": attr}  # fmt: skip
            out.append(json.dumps(record))
    return "\n".join(out) + "\n"


def lake(root: Path, *paths: Path | str) -> Analytics:
    """A real ingest of the paths, opened for questions."""
    settings = Settings(root=root, workers=1)
    ingest([str(p) for p in paths], settings)
    return Analytics(settings)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    """A seeded generated log (python -m loglake.generate), ingested."""
    folder = tmp_path_factory.mktemp("families")
    log = folder / "gen.log"
    subprocess.run(
        [sys.executable, "-m", "loglake.generate", "--size", "2MB", "--seed", "11", "-o", str(log)],
        check=True,
        capture_output=True,
    )
    return lake(folder / "lake", log)


def test_shape_fields_ignore_values_and_operators() -> None:
    eq = shape_fields({"filter": {"status": "?", "createdAt": {"$gte": "?"}}, "sort": {"p": -1}})
    assert eq == (["status", "createdAt"], ["p"], {"$gte"})
    ored = shape_fields({"filter": {"$or": [{"a": "?"}, {"b": {"$in": ["?"]}}]}})
    assert ored == (["a", "b"], [], {"$or", "$in"})
    writes = shape_fields({"updates": [{"q": {"sku": "?"}, "u": {"$set": {"x": "?"}}}]})
    assert writes[0] == ["sku"]
    piped = {"pipeline": [{"$match": {"t": "?"}}, {"$sort": {"n": 1}}, {"$group": {"_id": "$u"}},
                          {"$match": {"n": "?"}}]}  # fmt: skip
    assert shape_fields(piped)[:2] == (["t"], ["n"])  # after $group, fields are computed ones
    assert label("shop.orders", ["find"], ["status", "createdAt"], ["priority"]) == (
        "shop.orders find on {status, createdAt} sort priority"
    )
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)


def test_families_cover_every_execution_of_a_generated_log(generated: Analytics) -> None:
    answer = generated.ask("families", {"similarity": "1", "limit": "1000"})
    assert answer["total"] == len(answer["families"])
    total = query(generated.root, "slow_queries", "SELECT count(*) FROM t")[0][0]
    shapes = query(generated.root, "slow_queries", "SELECT count(DISTINCT shape_hash) FROM t")[0][0]
    assert total > 500
    assert sum(f["count"] for f in answer["families"]) == total
    assert answer["patterns_seen"] >= shapes
    assert len(answer["shape_family"]) == shapes
    for family in answer["families"]:  # exact families: one namespace and one field set
        assert len(family["field_sets"]) == 1
        assert family["label"].startswith(family["namespace"] + " ")
        for member in family["members"]:
            row = query(
                generated.root, "slow_queries",
                "SELECT any_value(namespace) FROM t WHERE shape_hash = ?", [member["key"]],
            )  # fmt: skip
            assert row[0][0] == family["namespace"]


def test_same_fields_with_other_operators_are_one_family(tmp_path: Path) -> None:
    """{sku: =} and {sku: {$in}} share a family; {qty: range} does not; similar ones merge."""
    log = tmp_path / "families.log"
    log.write_text(slow_lines([
        ("shop.items", {"sku": "a"}, None, 3), ("shop.items", {"sku": {"$in": [1, 2]}}, None, 3),
        ("shop.items", {"qty": {"$lt": 5}}, None, 3),
        ("shop.items", {"sku": "a", "color": "red"}, {"size": 1}, 2),
        ("shop.items", {"sku": "a", "color": "red", "brand": "x"}, {"size": 1}, 2),
    ]))  # fmt: skip
    analytics = lake(tmp_path / "lake", log)
    exact = {f["label"]: f for f in analytics.ask("families", {"similarity": "1"})["families"]}
    assert exact["shop.items find on {sku}"]["patterns"] == 2
    assert exact["shop.items find on {sku}"]["count"] == 6
    assert exact["shop.items find on {qty}"]["count"] == 3
    assert "shop.items find on {color, sku} sort size" in exact
    assert len(exact) == 4
    merged = analytics.ask("families", {"similarity": "0.6"})["families"]
    similar = [f for f in merged if f["merged_by_similarity"]]
    assert [f["label"] for f in similar] == ["shop.items find on {brand, color, sku} sort size"]
    assert similar[0]["count"] == 4


def test_families_on_real_logs(tmp_path: Path) -> None:
    analytics = lake(
        tmp_path / "lake",
        shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz"),
        shared("mongodb", "json", "sanket-4.4.3.log"),
    )
    answer = analytics.ask("families", {"limit": "1000"})
    assert sum(f["count"] for f in answer["families"]) == analytics.ask("summary", {})["count"]
    assert answer["total"] == len(answer["families"]) > 0
    assert all(f["label"] and f["family_id"] for f in answer["families"])
    assert answer["total"] <= answer["patterns_seen"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    return lake(tmp_path_factory.mktemp("planted") / "lake", ANOMALIES / "mongod-outlier-spike.log")


def test_the_planted_outlier_and_spikes_are_found(planted: Analytics) -> None:
    answer = planted.ask("anomalies", {"bucket": "15m"})
    executions = {(a["namespace"], a["ts"], a["value"]) for a in answer["executions"]}
    assert ("queue.jobs", "2024-06-03T05:02:30Z", 5000.0) in executions
    assert {ns for ns, _, _ in executions} == {"queue.jobs", "auth.sessions"}
    outlier = next(a for a in answer["executions"] if a["namespace"] == "queue.jobs")
    assert outlier["median"] == 105.0  # 100..109 cycling, plus the outlier itself
    assert outlier["executions"] == 121
    assert outlier["score"] == pytest.approx(0.6745 * (5000 - 105) / outlier["mad"], rel=1e-3)
    line = planted.ask("detail", outlier["sample"])
    assert '"durationMillis":5000' in line["raw"]
    buckets = {(a["kind"], a["namespace"], a["bucket"]) for a in answer["buckets"]}
    assert buckets == {
        ("count_spike", "billing.ledger", "2024-06-03T07:00:00Z"),
        ("latency_spike", "auth.sessions", "2024-06-03T03:00:00Z"),
    }
    spike = next(a for a in answer["buckets"] if a["kind"] == "count_spike")
    assert (spike["value"], spike["median"], spike["count"]) == (42.0, 2.0, 42)
    assert answer["by_pattern"][outlier["shape_hash"]] == {"slow_execution": 1}


def test_a_flat_log_has_no_anomaly(tmp_path: Path) -> None:
    analytics = lake(tmp_path / "lake", ANOMALIES / "mongod-flat.log")
    for bucket in ("auto", "5m", "15m", "1h"):
        answer = analytics.ask("anomalies", {"bucket": bucket})
        assert answer["executions"] == [] and answer["buckets"] == [], bucket


def test_anomaly_parameters_are_validated(planted: Analytics) -> None:
    with pytest.raises(InputError):
        planted.ask("anomalies", {"threshold": "0"})
    with pytest.raises(InputError):
        planted.ask("anomalies", {"min_count": "1"})
    strict = planted.ask("anomalies", {"bucket": "15m", "min_ratio": "50"})  # 5000 ms is 47x
    assert strict["executions"] == [] and strict["executions_total"] == 0
    limited = planted.ask("anomalies", {"bucket": "15m", "limit": "1"})
    assert len(limited["executions"]) == 1 and limited["executions_total"] == 4


def test_anomalies_on_real_logs_are_bounded(tmp_path: Path) -> None:
    analytics = lake(tmp_path / "lake", shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz"))
    answer: dict[str, Any] = analytics.ask("anomalies", {"limit": "10"})
    assert len(answer["executions"]) <= 10 and len(answer["buckets"]) <= 10
    for a in answer["executions"] + answer["buckets"]:
        assert a["score"] > 3.5
        assert a["value"] >= 1.5 * a["median"]
        assert set(a["sample"]) == {"file_id", "file_offset", "line_length"}
