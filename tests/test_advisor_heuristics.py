"""Slow-query heuristics: each rule fires on its crafted pattern and never on a healthy one."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import TEST_DATA
from loglake.advisor.findings import Severity
from loglake.advisor.heuristics import RULES, findings
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest

# namespace in mongod-heuristics.log -> the rule it was written to trip
EXPECTED = {
    "h.collscan": "collection_scan",
    "h.sort": "unindexed_sort",
    "h.selective": "poor_selectivity",
    "h.big": "large_response",
    "h.yields": "many_yields",
    "h.disk": "disk_use",
    "h.regex": "unanchored_regex",
    "h.where": "where_expr",
    "h.expr": "where_expr",
    "h.skip": "skip_pagination",
    "h.replan": "replanning",
    "h.conflicts": "write_conflicts",
    "h.cursor": "getmore_heavy",
}


@pytest.fixture(scope="module")
def answer(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The analysis of the crafted heuristics log."""
    settings = Settings(root=tmp_path_factory.mktemp("heuristics") / "lake", workers=1)
    ingest([str(TEST_DATA / "advisor" / "mongod-heuristics.log")], settings)
    return Analytics(settings).ask("analysis", {"limit": "100"})


def _rules(answer: dict[str, Any]) -> dict[str, set[str]]:
    return {p["namespace"]: {f["rule"] for f in p["findings"]} for p in answer["patterns"]}


@pytest.mark.parametrize(("namespace", "rule"), sorted(EXPECTED.items()))
def test_rule_fires_on_its_pattern(answer: dict[str, Any], namespace: str, rule: str) -> None:
    """The crafted pattern trips its rule, with a severity, a title and evidence."""
    [pattern] = [p for p in answer["patterns"] if p["namespace"] == namespace]
    [finding] = [f for f in pattern["findings"] if f["rule"] == rule]
    assert finding["severity"] in {s.value for s in Severity}
    assert finding["title"]
    assert finding["detail"]
    assert finding["evidence"]["executions"] == pattern["count"]


def test_every_rule_is_exercised() -> None:
    """No rule without a crafted pattern."""
    assert {r.__name__ for r in RULES} == set(EXPECTED.values())


def test_healthy_pattern_has_no_finding(answer: dict[str, Any]) -> None:
    """A selective IXSCAN with small responses trips nothing."""
    assert _rules(answer)["h.healthy"] == set()


def test_rules_do_not_leak_across_patterns(answer: dict[str, Any]) -> None:
    """Each crafted pattern trips only its own rule (reading to skip is also poor selectivity)."""
    allowed = {
        "h.collscan": {"collection_scan", "poor_selectivity"},
        "h.skip": {"skip_pagination", "poor_selectivity"},  # skipped documents are read
    }
    for namespace, rules in _rules(answer).items():
        if namespace in EXPECTED:
            assert rules <= allowed.get(namespace, {EXPECTED[namespace]}), namespace


def test_severities_and_counts(answer: dict[str, Any]) -> None:
    """$where is high, $expr medium; the totals count every finding; worst first."""
    where = {p["namespace"]: p for p in answer["patterns"]}
    assert where["h.where"]["findings"][0]["severity"] == "high"
    assert where["h.expr"]["findings"][0]["severity"] == "medium"
    assert where["h.collscan"]["severity"] == "high"  # 30,000 documents per execution
    assert sum(answer["findings"].values()) == sum(len(p["findings"]) for p in answer["patterns"])
    for p in answer["patterns"]:
        ranks = [Severity(f["severity"]).rank for f in p["findings"]]
        assert ranks == sorted(ranks)
    assert answer["groups"] == len(answer["patterns"])
    assert {r["rule"] for r in answer["rules"]} == set(EXPECTED.values())


def _row(**values: Any) -> dict[str, Any]:
    """A healthy pattern row, with some values changed."""
    row = {
        "key": "k", "namespace": "d.c", "op": "find", "shape": '{"filter":{"a":"?"}}',
        "count": 10, "total_ms": 1000.0, "docs_examined": 10, "keys_examined": 10,
        "nreturned": 10, "matched": 10, "reslen": 10_000, "max_reslen": 1_000,
        "num_yields": 0, "write_conflicts": 0, "replanned": 0, "in_memory_sorts": 0,
        "disk_uses": 0, "collscans": 0, "getmores": 0, "plan_summaries": {"IXSCAN { a: 1 }": 10},
    }  # fmt: skip
    row.update(values)
    return row


@pytest.mark.parametrize(
    ("values", "rule", "severity"),
    [
        ({"collscans": 10, "docs_examined": 50}, "collection_scan", "info"),
        ({"collscans": 10, "docs_examined": 200_000}, "collection_scan", "high"),
        ({"docs_examined": 6_000, "matched": 10}, "poor_selectivity", "medium"),
        ({"docs_examined": 5_000, "matched": 5_000}, None, None),  # examined = returned
        ({"reslen": 20 * 1024 * 1024, "max_reslen": 9 * 1024 * 1024}, "large_response", "high"),
        ({"num_yields": 999}, None, None),  # under 100 per execution
        ({"getmores": 60}, "getmore_heavy", "low"),
        ({"getmores": 30}, None, None),  # under 5 per execution
        ({"replanned": 1}, "replanning", "medium"),
    ],
)
def test_thresholds(values: dict[str, Any], rule: str | None, severity: str | None) -> None:
    """Each rule's threshold, on rows built by hand."""
    got = {f.rule: f.severity.value for f in findings(_row(**values))}
    if rule is None:
        assert got == {}
    else:
        assert got[rule] == severity
