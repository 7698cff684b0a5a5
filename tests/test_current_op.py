"""db.currentOp() analysis: the inprog document, a plain array, shell syntax, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import TEST_DATA, Runner
from loglake.advisor.current_op import analyze_current_op, parse_text
from loglake.errors import InputError

INPROG = TEST_DATA / "current-op-5.0-inprog.json"
SHELL = TEST_DATA / "current-op-4.2-shell.txt"


def opids(rows: list[dict[str, Any]]) -> list[Any]:
    return [r["opid"] for r in rows]


def test_the_inprog_document() -> None:
    result = analyze_current_op(json.loads(INPROG.read_text()))
    assert result["totals"] == {
        "ops": 7, "active": 6, "long_running": 4, "lock_wait": 1, "waiting_for_lock": 1,
        "collscan": 2, "max_secs_running": 318.004, "clients": 5, "apps": 3, "namespaces": 3,
    }  # fmt: skip
    assert opids(result["long_running"]) == [917001, 918273, 918402, 918390]  # longest first
    assert opids(result["collscans"]) == [918273, 918390]
    [waiting] = result["lock_waits"]
    assert (waiting["opid"], waiting["lock_waits"], waiting["lock_wait_micros"]) == (
        918402, 1, 12401877,
    )  # fmt: skip
    reports = next(g for g in result["by_app"] if g["key"] == "reports")
    assert (reports["ops"], reports["collscan"], reports["long_running"]) == (2, 2, 2)
    checkout = next(g for g in result["by_client"] if g["key"] == "10.0.1.22")
    assert (checkout["ops"], checkout["lock_wait"]) == (2, 1)
    orders = next(g for g in result["by_namespace"] if g["key"] == "shop.orders")
    assert orders["ops"] == 3
    scan = result["collscans"][0]
    # values are replaced: pasted output does not leak data into the answer
    assert scan["command"] == (
        'find {"filter":{"createdAt":{"$gte":"?"},"status":"?"},"sort":{"priority":-1}}'
    )
    assert scan["kill_command"] == "db.killOp(918273)"
    assert "shipped" not in json.dumps(result)


def test_a_plain_array_and_text_give_the_same_answer() -> None:
    doc = json.loads(INPROG.read_text())
    from_doc = analyze_current_op(doc)
    assert analyze_current_op(doc["inprog"]) == from_doc
    assert analyze_current_op(INPROG.read_text()) == from_doc
    assert analyze_current_op({"cursor": {"firstBatch": doc["inprog"]}, "ok": 1}) == from_doc


def test_the_threshold_moves_long_running() -> None:
    doc = json.loads(INPROG.read_text())
    assert analyze_current_op(doc, 100)["totals"]["long_running"] == 1
    assert analyze_current_op(doc, 0)["totals"]["long_running"] == 5  # not idle, not internal


def test_mongo_shell_output_with_prompts() -> None:
    result = analyze_current_op(SHELL.read_text())
    assert result["totals"]["ops"] == 2
    [scan] = result["collscans"]
    assert (scan["opid"], scan["secs_running"]) == (120044, 95.032)
    assert scan["client_ip"] == "192.168.10.4"
    assert scan["long_running"] and not scan["lock_wait"]
    [waiting] = result["lock_waits"]
    assert (waiting["opid"], waiting["lock_wait_micros"]) == (120101, 3190022)
    assert parse_text("[direct: primary] test> db.currentOp()\n{ inprog: [], ok: 1 }") == {
        "inprog": [],
        "ok": 1,
    }
    mongosh = "{ inprog: [ { opid: Long('7'), secs_running: Long('9'), op: 'query' } ], ok: 1 }"
    assert analyze_current_op(mongosh)["ops"][0]["secs_running"] == 9


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "empty"),
        ("no braces here", "no document or array"),
        ("{ inprog: [ { opid: 1, ", "could not read"),
        ('{"ok": 0, "errmsg": "not authorized"}', "not authorized"),
        ('{"a": 1}', "no inprog array"),
        ("[1, 2]", "operation 0 is a int"),
        ("42", "got int"),
    ],
)
def test_bad_input_is_an_input_error(bad: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        analyze_current_op(bad)


def test_post_current_op(client: FlaskClient) -> None:
    doc = json.loads(INPROG.read_text())
    response = client.post("/api/current-op", json=doc)
    assert response.status_code == 200
    assert response.get_json()["totals"]["long_running"] == 4
    shell = client.post("/api/current-op?long_running_secs=1", json={"text": SHELL.read_text()})
    assert shell.status_code == 200
    assert shell.get_json()["totals"]["long_running"] == 2


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"garbage", "application/json"),
        (b'{"text": "garbage"}', "application/json"),
        (b'{"text": 5}', "application/json"),
        (b'{"inprog": "x"}', "application/json"),
        (b"[1]", "application/json"),
    ],
)
def test_garbage_is_a_400(client: FlaskClient, body: bytes, content_type: str) -> None:
    response = client.post("/api/current-op", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["ok"] is False


def test_oversized_and_wrong_type_bodies(client: FlaskClient) -> None:
    big = client.post("/api/current-op", data=b"[" + b" " * (2 << 20) + b"]",
                      content_type="application/json")  # fmt: skip
    assert big.status_code == 413
    threshold = client.post("/api/current-op?long_running_secs=-1", json={"inprog": []})
    assert threshold.status_code == 400


def test_cli_current_op(tmp_path: Path, runner: Runner) -> None:
    done = runner.run("current-op", str(SHELL), "--json", catch=True)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["totals"]["collscan"] == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("nothing useful")
    failed = runner.run("current-op", str(bad), catch=True)
    assert failed.exit_code == 1
    assert "Error: currentOp: no document or array found" in failed.output
