"""Index suggestions on crafted logs whose right index is known, a golden file, real logs."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from conftest import SHARED_DATA, TEST_DATA, Golden, read_source, shared
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import InputError
from loglake.ingest.pipeline import ingest

CRAFTED = TEST_DATA / "advisor"


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    """Every crafted advisor log, ingested for real."""
    settings = Settings(root=tmp_path_factory.mktemp("advisor") / "lake", workers=1)
    ingest([str(p) for p in sorted(CRAFTED.glob("*.log"))], settings)
    return Analytics(settings)


def by_namespace(answer: dict[str, Any]) -> dict[str, list[list[list[Any]]]]:
    """namespace -> the key lists suggested for it."""
    out: dict[str, list[list[list[Any]]]] = defaultdict(list)
    for s in answer["suggestions"]:
        out[s["namespace"]].append(s["keys"])
    return dict(out)


def test_known_indexes(crafted: Analytics) -> None:
    """ESR keys for each crafted symptom."""
    got = by_namespace(crafted.ask("index_suggestions", {}))
    assert got["shop.orders"] == [[["status", 1], ["priority", -1], ["createdAt", 1]]]
    assert got["inventory.stock"] == [[["sku", 1], ["qty", 1]]]
    assert got["users.accounts"] == [[["email", 1]]]
    assert sorted(got["support.tickets"]) == [[["assignee", 1]], [["team", 1]]]
    assert got["analytics.events"] == [[["type", 1], ["ts", -1]]]
    assert got["shop.products"] == [[["active", 1]]]  # beside an unanchored regex


def test_healthy_and_existing_indexes_get_nothing(crafted: Analytics) -> None:
    """A selective IXSCAN pattern, an index that exists, a selective prefix: no suggestion."""
    answer = crafted.ask("index_suggestions", {})
    suggested = {s["namespace"] for s in answer["suggestions"]}
    assert not suggested & {"shop.customers", "billing.invoices", "metrics.daily", "h.healthy"}
    skipped = {s["namespace"]: s["reason"] for s in answer["skipped"]}
    assert "{accountId: 1, dueDate: 1, amount: 1}" in skipped["billing.invoices"]
    assert "{region: 1}, a prefix of it" in skipped["metrics.daily"]
    assert "shop.customers" not in skipped  # never a candidate: it examines what it returns


def test_prefix_is_merged_into_the_longer_index(crafted: Analytics) -> None:
    """{owner} is served by {owner, stage, score}: one suggestion holding both patterns."""
    answer = crafted.ask("index_suggestions", {"namespace": "crm.leads"})
    [s] = answer["suggestions"]
    assert s["keys"] == [["owner", 1], ["stage", 1], ["score", -1]]
    assert s["replaces"] == [[["owner", 1]]]
    assert len(s["patterns"]) == 2
    assert s["evidence"]["executions"] == 8
    assert s["impact_ms"] == sum(300 + i + 350 + i for i in range(4))


def test_not_indexable_reasons(crafted: Analytics) -> None:
    """$where and unanchored regexes are reported with their reason."""
    answer = crafted.ask("index_suggestions", {"namespace": "shop.products"})
    reasons = {r["what"]: r["reason"] for item in answer["not_indexable"] for r in item["reasons"]}
    assert set(reasons) == {"$where", "name: $regex", "description: $regex"}
    assert "JavaScript" in reasons["$where"]
    assert "anchored" in reasons["name: $regex"]


def test_every_suggestion_is_complete(crafted: Analytics) -> None:
    """Command, rationale, confidence in 0..1, impact and evidence on every suggestion."""
    answer = crafted.ask("index_suggestions", {})
    total = answer["workload_ms"]
    impacts = [s["impact_ms"] for s in answer["suggestions"]]
    assert impacts == sorted(impacts, reverse=True)
    for s in answer["suggestions"]:
        db, coll = s["namespace"].split(".", 1)
        keys = ", ".join(f'"{k}": {d}' for k, d in s["keys"])
        assert s["command"] == f'db.getSiblingDB("{db}").{coll}.createIndex({{{keys}}})'
        assert s["namespace"] in s["rationale"]
        assert f"{s['evidence']['executions']:,} slow execution" in s["rationale"]
        assert 0 < s["confidence"] <= 1
        assert s["impact_ms"] > 0
        assert s["share"] == round(s["impact_ms"] / total, 4)
        example = s["evidence"]["example"]
        line = json.loads(example["raw"])
        assert line["attr"]["ns"] == s["namespace"]


def test_counts_match_the_log(crafted: Analytics) -> None:
    """The ESR example's evidence equals a count made straight from its log file."""
    lines = [
        json.loads(x) for x in (CRAFTED / "mongod-collscan-esr.log").read_text().split("\n") if x
    ]
    [s] = crafted.ask("index_suggestions", {"namespace": "shop.orders"})["suggestions"]
    evidence = s["evidence"]
    assert evidence["executions"] == len(lines)
    assert evidence["docs_examined"] == sum(x["attr"]["docsExamined"] for x in lines)
    assert evidence["nreturned"] == sum(x["attr"]["nreturned"] for x in lines)
    assert evidence["collscans"] == len(lines)
    assert evidence["in_memory_sorts"] == len(lines)
    assert evidence["plans"] == {"COLLSCAN": len(lines)}
    assert s["impact_ms"] == sum(x["attr"]["durationMillis"] for x in lines)
    slowest = max(lines, key=lambda x: x["attr"]["durationMillis"])
    assert json.loads(s["evidence"]["example"]["raw"]) == slowest


def test_limit_and_bad_params(crafted: Analytics) -> None:
    """limit caps the list; bad values are InputErrors, not crashes."""
    assert len(crafted.ask("index_suggestions", {"limit": "2"})["suggestions"]) == 2
    assert crafted.ask("index_suggestions", {"namespace": "no.such"})["suggestions"] == []
    for bad in ({"limit": "0"}, {"limit": "x"}, {"from": "yesterday"}):
        with pytest.raises(InputError):
            crafted.ask("index_suggestions", bad)


def _stable(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The suggestions without what depends on where the test data sits (file ids)."""
    out = []
    for suggestion in answer["suggestions"]:
        copy = json.loads(json.dumps(suggestion))
        del copy["evidence"]["example"]["file_id"]
        out.append(copy)
    return out


def test_golden(crafted: Analytics, golden: Golden) -> None:
    """The whole answer, reviewed as a diff (LOGLAKE_REGEN_GOLDEN=1 rewrites it)."""
    golden("advisor/index_suggestions", _stable(crafted.ask("index_suggestions", {})))


# Real logs --------------------------------------------------------------------------------
REAL = ("bloommarbella-7.0.14.log.gz", "edutask-8.2.7.log", "replset-5.0.5-a.log")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    """Real JSON logs with collection scans, ingested."""
    paths = [shared("mongodb", "json", name) for name in REAL]
    settings = Settings(root=tmp_path_factory.mktemp("advisor-real") / "lake", workers=2)
    ingest([str(p) for p in paths], settings)
    return Analytics(settings)


def _oracle() -> dict[str, dict[str, int]]:
    """Per namespace, straight from the JSON lines: slow ops, scans, docs, the problem ones."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name in REAL:
        for raw in read_source(SHARED_DATA / "mongodb" / "json" / name).split(b"\n"):
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict) or line.get("id") != 51803:
                continue
            attr = line["attr"]
            ns = out[attr.get("ns")]
            ns["slow"] += 1
            ns["docs"] += attr.get("docsExamined", 0)
            scan = attr.get("planSummary") == "COLLSCAN"
            ns["collscans"] += scan
            wasted = attr.get("docsExamined", 0) - attr.get("nreturned", 0) > 500
            sorted_ = attr.get("hasSortStage") or attr.get("usedDisk")
            ns["problems"] += bool(scan or wasted or sorted_)
    return out


def test_real_logs_suggest_only_where_the_log_shows_scans(real: Analytics) -> None:
    """Each suggestion is on a namespace with problem lines and cites no more than they hold."""
    oracle = _oracle()
    answer = real.ask("index_suggestions", {"limit": "500"})
    assert answer["suggestions"], "bloommarbella's collection scans should give suggestions"
    for s in answer["suggestions"]:
        counts = oracle[s["namespace"]]
        assert counts["problems"] > 0, s["namespace"]
        ev = s["evidence"]
        assert ev["executions"] <= counts["slow"]
        assert ev["collscans"] <= counts["collscans"]
        assert ev["docs_examined"] <= counts["docs"]
        assert not s["namespace"].startswith(("local.", "admin.", "config."))
    scanned = {s["namespace"] for s in answer["suggestions"] if s["evidence"]["collscans"]}
    assert scanned <= {ns for ns, c in oracle.items() if c["collscans"]}
