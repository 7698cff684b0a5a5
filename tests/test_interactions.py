"""Interactions of a generated assistant log: exact against truth.json and against an
independent count from the raw files, across two ingests that split questions' records."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import Runner
from loglake.analytics.listeners import after_commit
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.generate.interactions import InteractionSpec, generate_interactions
from loglake.ingest.pipeline import ingest
from loglake.store.manifest import load_manifest

SPEC = InteractionSpec(seed=21, interactions=500, users=60, days=2)


def _independent(folder: Path) -> list[dict[str, Any]]:
    """Questions counted from the raw files: an arrival opens one; its records run to its
    completion, or to the next arrival of the same req.id when it has none; it failed on an
    error record among them or without a completion."""
    records = [r for f in sorted(folder.iterdir()) for r in json.loads(f.read_bytes())]
    by_req: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if "req" in r:
            by_req[r["req"]["id"]].append(r)
    found = []
    for rs in by_req.values():
        rs.sort(key=lambda r: r["time"])
        starts = [i for i, r in enumerate(rs) if r["message"] == "Chat question received"]
        for n, i in enumerate(starts):
            own = rs[i : starts[n + 1] if n + 1 < len(starts) else len(rs)]
            done = [r for r in own if "processingTimeMs" in r]
            if done:
                own = own[: own.index(done[0]) + 1]
            bad = any(r["level"] in (50, 60, "error", "fatal") or "error" in r for r in own)
            found.append(
                {
                    "time": rs[i]["time"],
                    "user": rs[i]["authUserId"],
                    "failed": bad or not done,
                    "ms": done[0]["processingTimeMs"] if done else None,
                }
            )
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("chat")
    return out, generate_interactions(SPEC, out)


@pytest.fixture(scope="module")
def chat_lake(
    generated: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Two ingests: every other file first (questions' records split across them), then all."""
    out, _truth = generated
    settings = Settings(root=tmp_path_factory.mktemp("lake") / "lake", workers=2)
    files = sorted((out / "chat").iterdir())
    ingest([str(p) for p in files[::2]], settings, listeners=after_commit(settings))
    ingest([str(out / "chat")], settings, listeners=after_commit(settings))
    return settings


@pytest.fixture(scope="module")
def service(chat_lake: Settings) -> Analytics:
    return Analytics(chat_lake)


def test_the_generator_is_seeded_and_its_truth_matches_an_independent_count(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, truth = generated
    assert generate_interactions(SPEC, tmp_path) == truth
    found = _independent(out / "chat")
    assert len(found) == truth["interactions"] == SPEC.interactions
    assert Counter(f["user"] for f in found) == truth["per_user"]
    assert sum(f["failed"] for f in found) == truth["failed"] > 0
    assert set(truth["failures"]) == {"error_field", "error_level", "no_completion"}
    assert truth["application_errors"] > 0 and truth["low_satisfaction"] > 0
    assert len(truth["per_day"]) == 2


def test_summary_is_exact(service: Analytics, generated: tuple[Path, dict[str, Any]]) -> None:
    out, truth = generated
    found = _independent(out / "chat")
    got = service.ask("interactions_summary", {})
    assert got["interactions"] == truth["interactions"] == len(found)
    assert got["users"] == truth["users"] == len({f["user"] for f in found})
    assert got["failed"] == truth["failed"]
    assert got["low_satisfaction"] == truth["low_satisfaction"]
    times = [f["ms"] for f in found if f["ms"] is not None]
    assert got["response_ms"]["avg"] == pytest.approx(truth["response_ms"]["avg"], rel=1e-12)
    assert got["response_ms"]["avg"] == pytest.approx(sum(times) / len(times), rel=1e-12)
    assert got["response_ms"]["p50"] <= got["response_ms"]["p95"] <= got["response_ms"]["p99"]


def test_counts_per_day_week_month_and_time_zone(
    service: Analytics, generated: tuple[Path, dict[str, Any]]
) -> None:
    out, truth = generated
    days = service.ask("interactions_counts", {"interval": "day"})["rows"]
    assert {r["bucket"]: r["interactions"] for r in days} == truth["per_day"]
    for interval in ("week", "month"):
        rows = service.ask("interactions_counts", {"interval": interval})["rows"]
        assert sum(r["interactions"] for r in rows) == truth["interactions"]
    zone = "America/New_York"
    local = Counter(
        datetime.fromtimestamp(f["time"] / 1000, UTC).astimezone(ZoneInfo(zone)).date().isoformat()
        for f in _independent(out / "chat")
    )
    rows = service.ask("interactions_counts", {"interval": "day", "tz": zone})["rows"]
    assert {r["bucket"]: r["interactions"] for r in rows} == local
    assert len(local) == 3  # the zone's days differ from UTC's


def test_top_questions_topics_failures_and_users(
    service: Analytics, generated: tuple[Path, dict[str, Any]]
) -> None:
    _out, truth = generated
    top = service.ask("interactions_top_questions", {"limit": "1000"})
    assert top["groups"] == len(truth["top_questions"])
    assert sorted(r["count"] for r in top["rows"]) == sorted(truth["top_questions"].values())
    first = top["rows"][0]
    assert first["count"] == max(truth["top_questions"].values())
    fund = next(f for f in truth["topics"] if f.lower() in first["question"].lower())
    assert all(fund.lower() in e.lower() for e in first["examples"]) and first["examples"]
    topics = service.ask("interactions_topics", {"limit": "100"})["rows"]
    assert {r["topic"]: r["count"] for r in topics} == truth["topics"]
    failures = service.ask("interactions_failures", {"kind": "failed", "limit": "1000"})
    assert failures["reasons"] == truth["failures"]
    assert len(failures["rows"]) == truth["failed"]
    unhappy = service.ask("interactions_failures", {"kind": "unhappy"})
    assert unhappy["total"] == truth["low_satisfaction"]
    users = service.ask("interactions_by", {"by": "user", "limit": "1000"})["rows"]
    assert {r["key"]: r["interactions"] for r in users} == truth["per_user"]


def test_the_list_pages_through_every_interaction_once_with_filters(
    service: Analytics, generated: tuple[Path, dict[str, Any]]
) -> None:
    _out, truth = generated
    seen: list[str] = []
    cursor = None
    while True:
        page = service.ask("interactions", {"limit": "97", "cursor": cursor})
        assert page["total"] == truth["interactions"]
        seen += [r["interaction_id"] for r in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == truth["interactions"]
    user, count = next(iter(Counter(truth["per_user"]).most_common(1)))
    assert service.ask("interactions", {"user": user})["total"] == count
    assert service.ask("interactions", {"outcome": "failed"})["total"] == truth["failed"]
    fund, hits = next(iter(truth["topics"].items()))
    assert service.ask("interactions", {"topic": fund})["total"] == hits
    assert service.ask("interactions", {"q": fund.lower()})["total"] >= hits
    day = next(iter(truth["per_day"]))
    ranged = service.ask("interactions", {"from": day, "to": f"{day}T23:59:59.999999"})
    assert ranged["total"] == truth["per_day"][day]


def test_an_interaction_opens_with_every_record_in_order(service: Analytics) -> None:
    row = service.ask("interactions", {"outcome": "answered", "limit": "1"})["rows"][0]
    got = service.ask("interactions_detail", {"interaction_id": row["interaction_id"]})
    records = [r["record"] for r in got["records"]]
    assert len(records) == got["interaction"]["records"] >= 4
    assert records[0]["message"] == "Chat question received"
    assert records[0]["requestMessage"] == row["question"]
    assert [r["time"] for r in records] == sorted(r["time"] for r in records)
    assert any("processingTimeMs" in r for r in records)


def test_reingesting_adds_nothing_and_the_profile_is_recorded(
    chat_lake: Settings, generated: tuple[Path, dict[str, Any]]
) -> None:
    out, truth = generated
    before = load_manifest(chat_lake.root)
    ingest([str(out / "chat")], chat_lake, listeners=after_commit(chat_lake))
    after = load_manifest(chat_lake.root)
    assert after["dataset_version"] == before["dataset_version"]
    assert after["streams"]["interactions"]["rows"] == truth["interactions"]
    profile = after["derived"]["interactions"]["profile"]
    assert profile["question"] == {"field": "requestMessage", "how": "detected"}
    assert profile["correlation"]["field"] == "req.id"
    assert profile["satisfaction"]["field"] == "rating"


def test_the_api_and_the_cli_answer_in_the_documented_shapes(
    chat_lake: Settings, client_for: Any, runner: Runner, generated: tuple[Path, dict[str, Any]]
) -> None:
    _out, truth = generated
    client = client_for(chat_lake)
    summary = client.get("/api/interactions/summary").get_json()
    assert set(summary) >= {"interactions", "users", "failed", "low_satisfaction", "response_ms"}
    assert set(summary["response_ms"]) == {"avg", "p50", "p95", "p99"}
    weeks = client.get("/api/interactions/counts?interval=week").get_json()["rows"]
    assert set(weeks[0]) >= {"bucket", "interactions", "users"}
    top = client.get("/api/interactions/top-questions?limit=3").get_json()["rows"]
    assert len(top) == 3 and set(top[0]) >= {"question", "count", "examples"}
    topics = client.get("/api/interactions/topics?limit=2").get_json()["rows"]
    assert [set(r) >= {"topic", "count"} for r in topics] == [True, True]
    assert client.get("/api/interactions/failures").status_code == 200
    assert client.get("/api/interactions?limit=5").get_json()["total"] == truth["interactions"]
    assert client.get("/api/interactions/counts?interval=year").status_code == 400
    assert client.get("/api/interactions/detail?interaction_id=nope").status_code == 404
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/interactions", "/interactions/summary", "/interactions/topics"} <= set(paths)
    result = runner.run("interactions", "summary", "--json", "--data", str(chat_lake.root))
    assert json.loads(result.output)["interactions"] == truth["interactions"]
    result = runner.run("interactions", "topics", "--data", str(chat_lake.root))
    assert result.exit_code == 0 and next(iter(truth["topics"])) in result.output


def test_rebuild_summaries_derives_the_interactions_again(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path, runner: Runner
) -> None:
    """An ingest without the after-commit work has no interactions; rebuild-summaries derives
    them from the Parquet files alone, and a second rebuild replaces them, never adds."""
    out, truth = generated
    settings = Settings(root=tmp_path / "lake", workers=2)
    ingest([str(out / "chat")], settings)
    assert load_manifest(settings.root)["streams"]["interactions"]["rows"] == 0
    for _round in range(2):
        result = runner.run("rebuild-summaries", "--data", str(settings.root))
        assert result.exit_code == 0, result.output
        assert f"{truth['interactions']} interactions" in result.output
        manifest = load_manifest(settings.root)
        assert manifest["streams"]["interactions"]["rows"] == truth["interactions"]
        got = Analytics(settings).ask("interactions_summary", {})
        assert (got["interactions"], got["failed"]) == (truth["interactions"], truth["failed"])
    files = [k for k in manifest["artifacts"] if k.startswith("interactions/")]
    assert len(files) == len(truth["per_day"])  # one file per day: the first ones replaced
