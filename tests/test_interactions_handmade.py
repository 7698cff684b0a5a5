"""Interactions of hand-made files (tests/data/interactions/): repeated questions on one
req.id, a completion in another file and another ingest, missing completions, mixed levels,
application errors, and another app's field names (detected, and overridden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TEST_DATA
from loglake.analytics.listeners import after_commit
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.store.manifest import load_manifest
from loglake.store.status import dataset_status

DATA = TEST_DATA / "interactions"
FIRST = DATA / "2026-03-01T10:00:00.000Z-chat.json"
SECOND = DATA / "2026-03-01T10:01:00.000Z-chat.json"


def _lake(tmp_path: Path, *batches: list[Path], **options: str) -> Settings:
    settings = Settings(root=tmp_path / "lake", workers=1, **options)  # type: ignore[arg-type]
    for batch in batches:
        ingest([str(p) for p in batch], settings, listeners=after_commit(settings))
    return settings


def test_questions_split_over_files_and_ingests_count_once(tmp_path: Path) -> None:
    settings = _lake(tmp_path, [FIRST])
    early = Analytics(settings).ask("interactions_summary", {})
    # before the second file: r1's first question and r2's have no completion yet
    assert (early["interactions"], early["failed"]) == (3, 3)
    ingest([str(SECOND)], settings, listeners=after_commit(settings))
    service = Analytics(settings)
    got = service.ask("interactions_summary", {})
    assert (got["interactions"], got["users"], got["failed"], got["low_satisfaction"]) == (
        5,
        2,
        3,
        1,
    )
    assert got["response_ms"]["avg"] == pytest.approx((2100 + 1500 + 900) / 3)
    failures = service.ask("interactions_failures", {"kind": "failed"})
    assert failures["reasons"] == {"error_level": 1, "error_field": 1, "no_completion": 1}
    by_reason = {r["reason"]: r for r in failures["rows"]}
    assert by_reason["error_level"]["question"] == "what are the fees of fund alpha"
    assert by_reason["error_field"]["error"] == "content_filter"
    assert by_reason["no_completion"]["ts"] == "2026-03-01T10:02:00Z"
    top = service.ask("interactions_top_questions", {})["rows"]
    assert [(r["question"], r["count"]) for r in top] == [
        ("What are the fees of Fund Alpha?", 3),
        ("When does Atlas Credit close?", 2),
    ]
    assert top[0]["examples"] == [
        "What are the fees of Fund Alpha?",
        "what are the fees of fund alpha",
    ]
    topics = service.ask("interactions_topics", {})["rows"]
    assert [(r["topic"], r["count"]) for r in topics] == [("Fund Alpha", 3), ("Atlas Credit", 2)]
    users = service.ask("interactions_by", {"by": "user"})["rows"]
    assert {r["key"]: r["interactions"] for r in users} == {"u1": 4, "u2": 1}


def test_the_same_files_in_one_ingest_give_the_same_rows(tmp_path: Path) -> None:
    one = Analytics(_lake(tmp_path / "one", [FIRST, SECOND]))
    two = Analytics(_lake(tmp_path / "two", [SECOND], [FIRST]))
    for service in (one, two):
        rows = service.ask("interactions", {})["rows"]
        assert [(r["request_id"], r["outcome"], r["failure_reason"]) for r in rows] == [
            ("r3", "answered", None),
            ("r1", "failed", "no_completion"),
            ("r1", "failed", "error_level"),
            ("r2", "failed", "error_field"),
            ("r1", "answered", None),
        ]
        answered = [r for r in rows if r["outcome"] == "answered"]
        assert [r["satisfaction"] for r in answered] == [1.0, 0.0]
        assert [r["records"] for r in rows] == [2, 1, 3, 3, 4]  # Q3's fetch is not logged


def test_another_apps_field_names_are_detected_and_shown(tmp_path: Path) -> None:
    settings = _lake(tmp_path, [DATA / "other-app.ndjson"])
    service = Analytics(settings)
    got = service.ask("interactions_summary", {})
    assert (got["interactions"], got["failed"], got["low_satisfaction"]) == (2, 1, 1)
    assert got["response_ms"]["avg"] == 1250
    profile = load_manifest(settings.root)["derived"]["interactions"]["profile"]
    fields = {role: entry["field"] for role, entry in profile.items()}
    assert fields["question"] == "prompt" and fields["answer"] == "reply"
    assert fields["correlation"] == "conversationId" and fields["subject"] == "productId"
    assert fields["satisfaction"] == "feedback" and fields["response_ms"] == "latency_ms"
    assert dataset_status(settings.root)["interactions"]["profile"]["question"]["field"] == (
        "prompt"
    )
    subjects = service.ask("interactions_by", {"by": "subject"})["rows"]
    assert {r["key"]: r["interactions"] for r in subjects} == {"p-9": 1, "p-3": 1}
    assert [r["topic"] for r in service.ask("interactions_topics", {})["rows"]] == ["Pro Plan"]


def test_the_profile_setting_overrides_what_is_detected(tmp_path: Path) -> None:
    settings = _lake(
        tmp_path, [DATA / "other-app.ndjson"], interaction_profile="satisfaction=-,subject=userId"
    )
    got = Analytics(settings).ask("interactions_summary", {})
    assert (got["interactions"], got["low_satisfaction"], got["rated"]) == (2, 0, 0)
    profile = load_manifest(settings.root)["derived"]["interactions"]["profile"]
    assert profile["subject"] == {"field": "userId", "how": "setting"}
    assert profile["satisfaction"]["field"] is None
    bad = Settings(root=tmp_path / "bad", workers=1, interaction_profile="mood=x")
    warnings: list[str] = []
    ingest([str(DATA / "other-app.ndjson")], bad, warn=warnings.append,
           listeners=after_commit(bad))  # fmt: skip
    assert any("unknown role 'mood'" in w for w in warnings)  # the commit stands
    assert load_manifest(bad.root)["streams"]["events"]["rows"] == 5


def test_a_lake_without_an_assistant_gets_no_interactions_nor_extra_version(
    tmp_path: Path,
) -> None:
    settings = _lake(tmp_path, [TEST_DATA / "mongod-4.4-auth.log"])
    manifest = load_manifest(settings.root)
    assert manifest["dataset_version"] == 1
    assert manifest["streams"]["interactions"]["rows"] == 0
    assert Analytics(settings).ask("interactions_summary", {})["interactions"] == 0
