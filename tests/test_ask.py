"""Grounded answers (`loglake ask`, /api/ask): golden answers, numbers checked independently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import TEST_DATA, Golden, Runner, query
from loglake.advisor.ask import CAN_ASK, answer, match_intent
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.errors import InputError
from loglake.ingest.pipeline import ingest

LOGS = [
    *sorted((TEST_DATA / "advisor").glob("*.log")),
    TEST_DATA / "anomalies" / "mongod-outlier-spike.log",
    TEST_DATA / "mongod-4.4-auth.log",
]
QUESTIONS = [
    *CAN_ASK,
    "Why is SHOP.ORDERS so slow?",
    "why is shop.order slow?",
    "why is checkout slow?",
    "when did it start on auth.sessions?",
    "which app sends the slowest queries on shop.orders?",
    "what is the meaning of life?",
]


@pytest.fixture(scope="module")
def lake_logs() -> list[Path]:
    """The crafted advisor logs, the planted anomalies and an auth log."""
    return LOGS


def test_golden_answers(analytics: Analytics, golden: Golden) -> None:
    """Every example question's whole answer, reviewed as a diff (LOGLAKE_REGEN_GOLDEN=1)."""
    answers = {q: answer(analytics, q) for q in QUESTIONS}
    golden("advisor/ask", answers)


def test_every_example_question_has_an_intent() -> None:
    intents = [match_intent(q) for q in CAN_ASK]
    assert "unknown" not in intents
    assert len(set(intents)) == 10


def facts_of(result: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f["value"] for f in result["facts"]}


def test_why_is_a_namespace_slow_cites_checked_numbers(analytics: Analytics) -> None:
    result = answer(analytics, "why is shop.orders slow?")
    assert result["intent"] == "slow_namespace" and result["namespace"] == "shop.orders"
    facts = facts_of(result)
    root = analytics.root
    [(count, first, last)] = query(
        root, "slow_queries", "SELECT count(*), min(ts), max(ts) FROM t WHERE namespace = ?",
        ["shop.orders"],
    )  # fmt: skip
    assert facts["executions"] == count
    assert f"{count:,} slow executions on shop.orders" in result["answer"]
    [(shape, n, plan, docs)] = query(
        root, "slow_queries",
        "SELECT shape_hash, count(*), mode(plan), sum(docs_examined) FROM t "
        "WHERE namespace = ? GROUP BY shape_hash ORDER BY sum(duration_ms) DESC LIMIT 1",
        ["shop.orders"],
    )  # fmt: skip
    assert (facts["pattern"], facts["pattern_executions"], facts["plan"]) == (shape, n, plan)
    assert facts["docs_examined"] == docs
    assert f"had {n:,} executions" in result["answer"]
    assert f"plan {plan} in" in result["answer"]
    assert result["time_range"]["from"] == first.isoformat().replace("+00:00", "Z")
    assert result["time_range"]["to"] == last.isoformat().replace("+00:00", "Z")
    assert result["suggestions"][0]["namespace"] == "shop.orders"
    sources = {f["name"]: f["source"] for f in result["facts"]}
    assert sources["executions"] == {"question": "summary", "params": {"namespace": "shop.orders"}}


def test_namespaces_match_case_insensitively_and_unknown_ones_get_neighbours(
    analytics: Analytics,
) -> None:
    shouted = answer(analytics, "Why is SHOP.ORDERS so slow?")
    assert shouted["namespace"] == "shop.orders"
    assert facts_of(shouted) == facts_of(answer(analytics, "why is shop.orders slow?"))
    typo = answer(analytics, "why is shop.order slow?")
    assert typo["unknown_namespace"] == "shop.order"
    assert typo["closest"][0] == "shop.orders"
    assert "no slow queries on a namespace called 'shop.order'" in typo["answer"]


def test_a_pattern_named_by_its_shape_hash(analytics: Analytics) -> None:
    [(shape, count)] = query(
        analytics.root, "slow_queries",
        "SELECT shape_hash, count(*) FROM t WHERE namespace = 'queue.jobs' GROUP BY 1",
    )  # fmt: skip
    result = answer(analytics, f"why is pattern {shape} slow?")
    assert result["shape_hash"] == shape
    assert facts_of(result)["executions"] == count == 121
    assert "slow executions of pattern" in result["answer"]


def test_an_unknown_question_lists_what_can_be_asked(analytics: Analytics) -> None:
    result = answer(analytics, "what is the meaning of life?")
    assert result["intent"] == "unknown"
    assert result["can_ask"] == CAN_ASK
    assert result["facts"] == []
    for bad in ("", "   ", "x" * 501, "a\x00b"):
        with pytest.raises(InputError):
            answer(analytics, bad)


def test_when_did_it_start_names_the_planted_spike(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(TEST_DATA / "anomalies" / "mongod-outlier-spike.log")], settings)
    result = answer(Analytics(settings), "when did it start on auth.sessions?")
    spike = facts_of(result)["first_spike"]
    assert (spike["kind"], spike["bucket"]) == ("latency_spike", "2024-06-03T03:00:00Z")
    assert "2024-06-03T03:00:00Z" in result["answer"]


def test_cli_ask_json(lake: Settings, runner: Runner) -> None:
    done = runner.run("ask", "--json", "--data", str(lake.root), "why is shop.orders slow?")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    facts = facts_of(result)
    assert facts["pattern_executions"] > 0 and facts["plan"] == "COLLSCAN"
    text = runner.run("ask", "--data", str(lake.root), "huh?")
    assert text.exit_code == 0 and CAN_ASK[0] in text.output


def test_post_and_get_api_ask(client: FlaskClient) -> None:
    posted = client.post("/api/ask", json={"q": "why is shop.orders slow?"})
    assert posted.status_code == 200
    body = posted.get_json()
    assert {"question", "intent", "answer", "facts", "patterns", "time_range"} <= set(body)
    assert client.get("/api/ask?q=why+is+shop.orders+slow%3F").get_json() == body
    unknown = client.post("/api/ask", json={"q": "sing me a song"})
    assert unknown.status_code == 200 and unknown.get_json()["can_ask"] == CAN_ASK
    for bad in ({"q": ""}, {"q": 5}, {}, [1]):
        response = client.post("/api/ask", json=bad)
        assert response.status_code == 400 and response.get_json()["ok"] is False
    assert client.post("/api/ask", data=b"{", content_type="application/json").status_code == 400
    assert client.get("/api/ask").status_code == 400
