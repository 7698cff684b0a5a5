"""Push ingest (`POST /api/ingest` with records), through real WSGI requests and real commits.

Every test pushes seeded records with known ids (tests/push_data.py) into a fresh lake and
counts what the committed manifest's files hold, read back with DuckDB: ndjson and gzip
bodies, the reasons of rejected lines, Idempotency-Key (in flight, committed, after a
restart), the size limit, group commit, CSRF and token rules, and a MongoDB log pushed
like any sniffed format.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from conftest import shared
from loglake.config import Settings
from loglake.web import create_app
from push_data import committed_rids, levels_of, records

NDJSON = "application/x-ndjson"


@pytest.fixture
def push_settings(tmp_path: Path) -> Settings:
    """A fresh lake whose pushes commit after 20 ms."""
    return Settings(root=tmp_path / "lake", push_batch_ms=20)


@pytest.fixture
def push_app(push_settings: Settings) -> Flask:
    """The web app over the fresh lake."""
    return create_app(push_settings)


def push(app: Flask, body: bytes, **headers: str) -> Any:
    """POST the body as ndjson (headers: Idempotency_Key=… becomes Idempotency-Key)."""
    content_type = headers.pop("content_type", NDJSON)
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    return app.test_client().post("/api/ingest", data=body, content_type=content_type, headers=sent)


def manifest_version(root: Path) -> int:
    return int(json.loads((root / "manifest.json").read_text())["dataset_version"])


def test_pushed_records_are_committed_before_the_answer(push_app: Flask) -> None:
    lines = records("a", 500, seed=1)
    response = push(push_app, b"".join(lines))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ok"] is True
    assert (body["accepted"], body["rejected"], body["reasons"]) == (500, 0, {})
    assert body["format"] == "jsonl"
    root = push_app.config["LOGLAKE_SETTINGS"].root
    assert body["dataset_version"] == manifest_version(root)  # acknowledged after its commit
    assert committed_rids(root) == Counter({f"a-{i}": 1 for i in range(500)})
    # the after-commit listeners ran, and the records answer questions like any ingest's
    client = push_app.test_client()
    page = client.get("/api/logs", query_string={"limit": "5"}).get_json()
    assert page["total"] == 500
    assert (root / "summaries" / "dataset.json").exists()


def test_gzip_and_jsonl_bodies(push_app: Flask) -> None:
    first, second = records("g", 300, seed=2), records("j", 200, seed=3)
    gz = push(push_app, gzip.compress(b"".join(first)), Content_Encoding="gzip")
    assert gz.status_code == 200 and gz.get_json()["accepted"] == 300
    jl = push(push_app, b"".join(second), content_type="application/jsonl")
    assert jl.status_code == 200 and jl.get_json()["accepted"] == 200
    root = push_app.config["LOGLAKE_SETTINGS"].root
    rids = committed_rids(root)
    assert rids == Counter({f"g-{i}": 1 for i in range(300)} | {f"j-{i}": 1 for i in range(200)})
    levels = push_app.test_client().get("/api/logs", query_string={"level": "ERROR"}).get_json()
    assert levels["total"] == levels_of(first + second)["ERROR"]


def test_rejected_lines_are_counted_with_their_reason(push_app: Flask) -> None:
    good = records("r", 40, seed=4)
    body = b"".join(good[:20]) + b'{"ts": broken json\n' + b"".join(good[20:]) + b"{oops\n\n"
    response = push(push_app, body)
    result = response.get_json()
    assert response.status_code == 200
    assert (result["accepted"], result["rejected"]) == (40, 2)
    assert result["reasons"] == {"invalid_json": 2}
    assert len(committed_rids(push_app.config["LOGLAKE_SETTINGS"].root)) == 40


def test_a_body_no_format_reads_is_refused_and_adds_nothing(push_app: Flask) -> None:
    response = push(push_app, b"\x00\x01 binary junk \xff\n" * 3)
    result = response.get_json()
    assert response.status_code == 422
    assert result["ok"] is False and result["status"] == 422
    assert (result["accepted"], result["rejected"], result["reasons"]) == (0, 3, {"not_a_log": 3})
    assert "check the format" in result["error"]
    assert committed_rids(push_app.config["LOGLAKE_SETTINGS"].root) == Counter()
    unknown = push_app.test_client().post(
        "/api/ingest?format=nope", data=b"".join(records("u", 3)), content_type=NDJSON
    )
    assert unknown.status_code == 400 and "unknown format 'nope'" in unknown.get_json()["error"]
    forced = push_app.test_client().post(
        "/api/ingest?format=logfmt", data=b"".join(records("u", 3)), content_type=NDJSON
    )
    assert forced.status_code == 422 and forced.get_json()["reasons"] == {"other_format": 3}
    empty = push(push_app, b"\n\n")
    assert empty.status_code == 400 and "no records" in empty.get_json()["error"]


def test_the_same_key_adds_a_batch_once_even_after_a_restart(
    push_app: Flask, push_settings: Settings
) -> None:
    body = b"".join(records("k", 120, seed=5))
    first = push(push_app, body, Idempotency_Key="batch-0001").get_json()
    again = push(push_app, body, Idempotency_Key="batch-0001").get_json()
    assert first["accepted"] == 120 and "duplicate" not in first
    assert again["duplicate"] is True and again["accepted"] == 120
    assert again["ingest_id"] == first["ingest_id"]
    root = push_settings.root
    assert committed_rids(root) == Counter({f"k-{i}": 1 for i in range(120)})
    restarted = create_app(push_settings)  # a new process would read the same manifest
    third = push(restarted, body, Idempotency_Key="batch-0001").get_json()
    assert third["duplicate"] is True
    assert committed_rids(root) == Counter({f"k-{i}": 1 for i in range(120)})
    # without a key a body is new data, even with the same bytes
    assert push(restarted, body).get_json()["accepted"] == 120
    assert committed_rids(root) == Counter({f"k-{i}": 2 for i in range(120)})


def test_the_same_key_in_flight_is_added_once(tmp_path: Path) -> None:
    app = create_app(Settings(root=tmp_path / "lake", push_batch_ms=400))
    body = b"".join(records("f", 50, seed=6))
    answers: list[dict[str, Any]] = []

    def send() -> None:
        answers.append(push(app, body, Idempotency_Key="same").get_json())

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and all(a["accepted"] == 50 for a in answers)
    assert sum(1 for a in answers if not a.get("duplicate")) == 1
    assert committed_rids(tmp_path / "lake") == Counter({f"f-{i}": 1 for i in range(50)})


def test_concurrent_pushes_share_one_commit(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path / "lake", push_batch_ms=5000, push_batch_records=100)
    app = create_app(settings)
    answers: list[dict[str, Any]] = []

    def send(n: int) -> None:
        answers.append(push(app, b"".join(records(f"c{n}", 25, seed=n))).get_json())

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=4)  # 100 records waiting commit at once, long before the 5 s
    assert len(answers) == 4
    assert len({a["ingest_id"] for a in answers}) == 1
    assert sum(a["accepted"] for a in answers) == 100
    assert sum(committed_rids(settings.root).values()) == 100


def test_the_size_limit_holds_for_plain_and_gzip_bodies(tmp_path: Path) -> None:
    app = create_app(Settings(root=tmp_path / "lake", push_batch_ms=20, max_push_mb=1))
    lines = records("s", 12_000, seed=7)  # about 1.5 MB
    assert len(b"".join(lines)) > 1024 * 1024
    plain = push(app, b"".join(lines))
    assert plain.status_code == 413 and "push limit of 1 MB" in plain.get_json()["error"]
    bomb = push(app, gzip.compress(b"".join(lines)), Content_Encoding="gzip")
    assert bomb.status_code == 413
    assert not (tmp_path / "lake" / "manifest.json").exists()
    fits = push(app, gzip.compress(b"".join(lines[:5000])), Content_Encoding="gzip")
    assert fits.status_code == 200 and fits.get_json()["accepted"] == 5000
    broken = push(app, b"not gzip at all", Content_Encoding="gzip")
    assert broken.status_code == 400 and "gzip" in broken.get_json()["error"]


def test_csrf_and_token_rules(push_settings: Settings) -> None:
    body = b"".join(records("t", 10, seed=8))
    app = create_app(push_settings)
    browser = app.test_client()
    browser.set_cookie("session_hint", "1")  # a browser that carries cookies needs the token
    refused = browser.post("/api/ingest", data=body, content_type=NDJSON)
    assert refused.status_code == 403 and "CSRF" in refused.get_json()["error"]
    foreign = app.test_client().post(
        "/api/ingest", data=body, content_type=NDJSON, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    guarded = create_app(replace(push_settings, auth_token="s3cret"))
    assert push(guarded, body).status_code == 401
    ok = push(guarded, body, Authorization="Bearer s3cret")
    assert ok.status_code == 200 and ok.get_json()["accepted"] == 10


def test_a_database_log_is_pushed_like_any_sniffed_format(push_app: Flask) -> None:
    path = shared("mongodb", "json", "replset-5.0.5-a.log")
    data = path.read_bytes()
    result = push(push_app, data).get_json()
    lines = [line for line in data.splitlines() if line.strip()]
    assert result["format"] == "mongodb" and result["accepted"] == len(lines)
    slow = push_app.test_client().get("/api/slow-queries", query_string={"limit": "1"}).get_json()
    assert slow["total"] == data.count(b'"Slow query"')


def test_the_upload_flow_keeps_its_json_body(push_app: Flask) -> None:
    response = push_app.test_client().post("/api/ingest", json={"batch": "0" * 16})
    assert response.status_code == 400 and "no uploaded files" in response.get_json()["error"]


def test_keys_survive_compaction_and_the_batcher_compacts(
    push_app: Flask, push_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loglake.ingest import batcher

    monkeypatch.setattr(batcher, "COMPACT_EVERY", 8)  # compact's least crowded partition
    for n in range(8):
        body = b"".join(records(f"z{n}", 30, seed=40 + n))
        assert push(push_app, body, Idempotency_Key=f"z-{n}").status_code == 200
    root = push_settings.root
    for _ in range(100):  # the compaction follows the eighth commit, after its answer
        manifest = json.loads((root / "manifest.json").read_text())
        events = [a for a in manifest["artifacts"].values() if a["stream"] == "events"]
        if len(events) == 1:
            break
        time.sleep(0.1)
    assert len(events) == 1 and events[0]["rows"] == 240
    assert set(manifest["push_keys"]) == {f"z-{n}" for n in range(8)}
    again = push(push_app, b"".join(records("z0", 30, seed=40)), Idempotency_Key="z-0")
    assert again.get_json()["duplicate"] is True
    assert committed_rids(root) == Counter({f"z{n}-{i}": 1 for n in range(8) for i in range(30)})


def test_pushed_records_open_their_raw_line(push_app: Flask, push_settings: Settings) -> None:
    lines = records("w", 30, seed=50)
    assert push(push_app, b"".join(lines)).status_code == 200
    client = create_app(push_settings).test_client()  # a restarted server reads them back too
    page = client.get("/api/logs", query_string={"limit": "30"}).get_json()
    sent = {json.loads(line)["rid"]: line.rstrip(b"\n").decode() for line in lines}
    assert len(page["rows"]) == 30
    for row in page["rows"][:5]:
        detail = client.get(
            "/api/detail",
            query_string={"file_id": row["file_id"], "file_offset": row["file_offset"]},
        ).get_json()
        raw = detail["raw"].rstrip("\n")
        assert raw == sent[json.loads(raw)["rid"]]
    manifest = json.loads((push_settings.root / "manifest.json").read_text())
    entry = manifest["files"][page["rows"][0]["file_id"]]
    assert entry["path"] is None and (push_settings.root / entry["copy"]).is_file()
