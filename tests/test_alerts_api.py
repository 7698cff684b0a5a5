"""The alerts' surfaces: `GET /api/alerts`, acknowledgements, the rules API (validated,
kept in the lake, picked up by the next commit) and `loglake alerts test|list|ack`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskClient

from alerts_oracle import Spec, oracle, write_log
from loglake.alerts import store
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.web.app import create_app

SPEC = Spec("count", 60_000_000, level="error", group_by="host", threshold=10)
RULE = {
    "name": "errors",
    "filters": {"level": "error"},
    "group_by": "host",
    "severity": "high",
    "condition": {"type": "count", "threshold": 10, "window": "60s"},
}


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Settings, Path, list]:
    """A lake with the first rows of the log ingested (no rules yet)."""
    log = tmp_path / "app.jsonl"
    rows = write_log(log)
    lines = log.read_text().splitlines(keepends=True)
    growing = tmp_path / "growing.jsonl"
    growing.write_text("".join(lines[:50]))
    settings = Settings(root=tmp_path / "lake", workers=1)
    ingest([str(growing)], settings, listeners=after_commit(settings))
    growing.write_text("".join(lines))
    return settings, growing, rows


def _client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


def test_rules_api_validates_persists_and_the_next_commit_evaluates(lake) -> None:
    settings, growing, rows = lake
    client = _client(settings)
    assert client.get("/api/alerts/rules").json == {"rules": []}
    bad = client.post(
        "/api/alerts/rules", json={**RULE, "condition": {"type": "count", "window": "1m"}}
    )
    assert bad.status_code == 400 and "threshold: required" in bad.json["error"]
    made = client.post("/api/alerts/rules", json=RULE)
    assert made.status_code == 201 and made.json["rule"]["source"] == "lake"
    assert client.post("/api/alerts/rules", json=RULE).status_code == 400  # exists: PUT replaces
    assert client.get("/api/alerts/rules/errors").json["rule"]["condition"]["window"] == "1m"
    changed = client.put("/api/alerts/rules/errors", json={**RULE, "severity": "critical"})
    assert changed.status_code == 200 and changed.json["rule"]["severity"] == "critical"
    assert client.put("/api/alerts/rules/other", json={**RULE, "name": "other"}).status_code == 404
    # a new process (a restart) finds the rule in the lake; the next commit evaluates it, and
    # the lake's first evaluation reads every row it holds
    ingest([str(growing)], settings, listeners=after_commit(settings))
    client = _client(settings)
    listed = client.get("/api/alerts").json
    expected = oracle(SPEC, rows)
    firing = [e for e in expected if e[0] == "firing"]
    assert listed["count"] == len(firing) > 0
    assert {a["severity"] for a in listed["alerts"]} == {"critical"}
    fired = [a["fired_at"] for a in listed["alerts"]]
    assert fired == sorted(fired, reverse=True)  # newest first
    open_now = client.get("/api/alerts?status=open").json["count"]
    resolved = client.get("/api/alerts?status=resolved").json["count"]
    assert open_now + resolved == len(firing)
    assert resolved == len([e for e in expected if e[0] == "resolved"])
    one = listed["alerts"][0]
    acked = client.post(f"/api/alerts/{one['id']}/ack", json={})
    assert acked.status_code == 200 and acked.json["alert"]["acked"] is True
    again = _client(settings).get("/api/alerts").json["alerts"]
    assert [a["acked"] for a in again] == [True] + [False] * (len(again) - 1)
    assert client.post("/api/alerts/0000000000000000/ack", json={}).status_code == 404
    assert client.delete("/api/alerts/rules/errors").status_code == 403  # no JSON, no token
    gone = client.delete("/api/alerts/rules/errors", headers={"Content-Type": "application/json"})
    assert gone.status_code == 200 and client.get("/api/alerts/rules").json == {"rules": []}
    assert (
        client.delete("/api/alerts/rules/errors", content_type="application/json").status_code
        == 404
    )


def test_file_rules_are_listed_and_cannot_be_changed_through_the_api(lake, tmp_path) -> None:
    settings, _growing, _rows = lake
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": [RULE]}))
    client = _client(settings.with_options(alert_rules=str(path)))
    (rule,) = client.get("/api/alerts/rules").json["rules"]
    assert rule["source"] == "file" and rule["name"] == "errors"
    refused = client.put("/api/alerts/rules/errors", json=RULE)
    assert refused.status_code == 400 and "edit it there" in refused.json["error"]
    assert client.get("/api/alerts?status=nope").status_code == 400


def test_cli_test_list_and_ack(lake, runner, tmp_path) -> None:
    settings, growing, rows = lake
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": [RULE]}))
    root = str(settings.root)
    tried = runner.run("alerts", "test", "errors", "--data", root, "--alerts", str(path), "--json")
    assert tried.exit_code == 0 and json.loads(tried.output) == []  # only 50 rows so far
    out = runner.run("ingest", str(growing), "--data", root, "--alerts", str(path), "-q")
    assert out.exit_code == 0, out.output
    listed = json.loads(runner.run("alerts", "list", "--data", root, "--json").output)
    expected = oracle(SPEC, rows)
    assert len(listed) == len([e for e in expected if e[0] == "firing"])
    tried = runner.run("alerts", "test", "errors", "--data", root, "--alerts", str(path))
    assert tried.exit_code == 0
    everything = oracle(SPEC, rows)
    fired = sum(1 for e in everything if e[0] == "firing")
    assert f"{fired} fired, {len(everything) - fired} resolved" in tried.output
    text = runner.run("alerts", "list", "--data", root, "--status", "resolved").output
    assert "errors [web" in text and "-> resolved" in text
    acked = runner.run("alerts", "ack", listed[-1]["id"], "--data", root)
    assert acked.exit_code == 0 and f"Acknowledged {listed[-1]['id']}" in acked.output
    assert json.loads(runner.run("alerts", "list", "--data", root, "--json").output)[-1]["acked"]
    missing = runner.run("alerts", "ack", "nope", "--data", root)
    assert missing.exit_code == 1 and "no alert 'nope'" in missing.output
    unknown = runner.run("alerts", "test", "nope", "--data", root, "--alerts", str(path))
    assert unknown.exit_code == 1 and "the rules are: errors" in unknown.output
    path.write_text("rules: [{name: broken}]")
    broken = runner.run("ingest", str(growing), "--data", root, "--alerts", str(path))
    assert broken.exit_code == 1 and "condition" in broken.output
    assert len(store.records(settings.root)) >= len(listed)


def test_the_alerts_page_lists_alerts_with_a_timeline_and_acks(lake, tmp_path) -> None:
    settings, growing, rows = lake
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": [RULE]}))
    settings = settings.with_options(alert_rules=str(path))
    ingest([str(growing)], settings, listeners=after_commit(settings))
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/alerts").get_data(as_text=True)
    expected = oracle(SPEC, rows)
    firing = [e for e in expected if e[0] == "firing"]
    assert page.count('<tr data-alert="') == len(firing) == page.count('<rect class="sev-bar')
    assert 'href="/alerts"' in page  # in the menu
    assert "/api/detail?file_id=" in page and "upstream failed" in page
    resolved = client.get("/alerts?status=resolved").get_data(as_text=True)
    assert resolved.count('<tr data-alert="') == len([e for e in expected if e[0] == "resolved"])
    first = client.get("/api/alerts").json["alerts"][0]["id"]
    refused = client.post(f"/alerts/{first}/ack", data={})
    assert refused.status_code == 403  # no CSRF token
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    done = client.post(f"/alerts/{first}/ack", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].startswith("/alerts")
    assert client.get("/api/alerts").json["alerts"][0]["acked"] is True
    assert "<td>acked</td>" in client.get("/alerts").get_data(as_text=True)


def test_an_upload_job_evaluates_the_servers_file_and_api_rules(tmp_path) -> None:
    from test_alerts_notify import Receiver

    log = tmp_path / "app.jsonl"
    rows = write_log(log)
    receiver = Receiver()
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": [{**RULE, "notify": [{"webhook": receiver.url}]}]}))
    settings = Settings(root=tmp_path / "lake", workers=1, alert_rules=str(path))
    app = create_app(settings)
    client = app.test_client()
    lower = {**RULE, "name": "errors-5", "condition": {**RULE["condition"], "threshold": 5}}
    assert client.post("/api/alerts/rules", json=lower).status_code == 201
    page = client.get("/alerts").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    batch = "d" * 16
    stored = client.post(
        f"/api/uploads?batch={batch}&name=app.jsonl",
        data=log.read_bytes(),
        headers={"X-CSRF-Token": token, "Content-Type": "application/octet-stream"},
    )
    assert stored.status_code == 200, stored.json
    started = client.post("/api/ingest", json={"batch": batch})
    assert started.status_code == 202, started.json
    give_up = time.monotonic() + 120
    while (state := client.get(f"/api/ingest/{started.json['job']}").json)["state"] == "running":
        assert time.monotonic() < give_up, "the ingest job did not finish"
        time.sleep(0.2)
    assert state["state"] == "done", state
    got = {"errors": [], "errors-5": []}
    for r in store.records(settings.root):
        if r["kind"] == "alert":
            got[r["rule"]].append((r["status"], r["group"], r["at"]))
    want = oracle(SPEC, rows)
    want5 = oracle(Spec("count", 60_000_000, level="error", group_by="host", threshold=5), rows)
    assert [(s, g) for s, g, _ in got["errors"]] == [(s, g) for s, g, _ in want]
    assert [(s, g) for s, g, _ in got["errors-5"]] == [(s, g) for s, g, _ in want5]
    assert len(want5) > len(want) > 0
    try:  # the job only logged them: the server's courier delivers the file rule's webhooks
        while len(receiver.bodies) < len(want):
            assert time.monotonic() < give_up, "the server's courier delivered nothing"
            time.sleep(0.1)
    finally:
        app.extensions["loglake_courier"].stop()
        receiver.close()
    assert sorted((b["status"], b["group"], b["at"]) for b in receiver.bodies) == sorted(
        got["errors"]
    )
