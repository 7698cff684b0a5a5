"""Alert notifications and persistence: a real HTTP receiver on loopback (one that fails,
one that is slow, one that is down), Python hooks, the log, the outbox (deliveries never
inside an ingest; a courier thread; a restart delivers what is left, nothing twice), and
evaluations that survive a restart or a crash without firing twice or losing an alert."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts_oracle import Spec, oracle, write_log
from loglake.alerts import store
from loglake.alerts.evaluate import evaluate
from loglake.alerts.outbox import Courier, after_ingest
from loglake.analytics.listeners import after_commit
from loglake.config import Settings
from loglake.ingest.pipeline import ingest
from loglake.layout import ALERT_STATE

HOOKED: list[dict[str, Any]] = []
SPEC = Spec("count", 60_000_000, level="error", group_by="host", threshold=10)


def collect(payload: dict[str, Any]) -> None:
    """A Python hook: keeps what it is given."""
    HOOKED.append(payload)


def explode(payload: dict[str, Any]) -> None:
    """A Python hook that fails."""
    raise RuntimeError(f"no thanks: {payload['rule']}")


class Receiver:
    """A webhook receiver: an HTTP server in a thread that keeps every request it gets,
    answering `fail` requests with 500 first, each after `delay` seconds."""

    def __init__(self, fail: int = 0, delay: float = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.fail, self.delay = fail, delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.times.append(time.monotonic())
                time.sleep(outer.delay)
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def rules(path: Path, *notify: Any) -> str:
    rule = {
        "name": "errors",
        "filters": {"level": "error"},
        "group_by": "host",
        "severity": "high",
        "condition": {"type": "count", "threshold": 10, "window": "60s"},
        "notify": list(notify),
    }
    path.write_text(yaml.safe_dump({"rules": [rule]}))
    return str(path)


def setup(tmp_path: Path, *notify: Any, **options: Any) -> tuple[Settings, Path, list[Any]]:
    log = tmp_path / "app.jsonl"
    rows = write_log(log)
    settings = Settings(
        root=tmp_path / "lake",
        workers=1,
        alert_rules=rules(tmp_path / "r.yaml", *notify),
        alert_webhook_backoff_ms=50,
        **options,
    )
    return settings, log, rows


def run(settings: Settings, log: Path) -> dict[str, Any]:
    """An ingest then its bounded drain, as `loglake ingest` runs them."""
    report = ingest([str(log)], settings, listeners=after_commit(settings))
    after_ingest(settings)
    return report


def deliveries(settings: Settings, ok: bool | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in store.records(settings.root)
        if r["kind"] == "delivery" and (ok is None or r["ok"] is ok)
    ]


def wait_for(check: Any, timeout: float = 30) -> None:
    give_up = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.05)


def alerts_of(settings: Settings) -> list[tuple[str, str, str]]:
    return [
        (r["status"], r["group"], r["at"])
        for r in store.records(settings.root)
        if r["kind"] == "alert"
    ]


def test_webhook_gets_each_alert_once_with_the_documented_payload(tmp_path, receiver) -> None:
    settings, log, rows = setup(tmp_path, {"webhook": receiver.url})
    run(settings, log)
    expected = oracle(SPEC, rows)
    got = [(b["status"], b["group"]) for b in receiver.bodies]
    assert sorted(got) == sorted((s, g) for s, g, _t in expected)
    first = receiver.bodies[0]
    assert set(first) >= {
        "rule",
        "status",
        "severity",
        "group",
        "fired_at",
        "window",
        "value",
        "lines",
        "id",
        "at",
        "resolved_at",
    }
    assert (first["rule"], first["status"], first["severity"], first["window"]) == (
        "errors",
        "firing",
        "high",
        "1m",
    )
    assert first["fired_at"].endswith("Z") and first["value"] >= 10
    assert first["lines"] and all(
        line["raw_url"].startswith("/api/detail?") for line in first["lines"]
    )
    resolved = next(
        b for b in receiver.bodies if b["status"] == "resolved" and b["id"] == first["id"]
    )
    assert resolved["fired_at"] == first["fired_at"] and resolved["resolved_at"] > first["fired_at"]
    deliveries = [r for r in store.records(settings.root) if r["kind"] == "delivery"]
    assert len(deliveries) == len(expected) and all(
        d["ok"] and d["attempts"] == 1 for d in deliveries
    )


def test_a_failing_receiver_is_retried_with_backoff_then_recorded(tmp_path) -> None:
    flaky = Receiver(fail=2)  # two 500s, then it accepts
    try:
        settings, log, rows = setup(tmp_path, {"webhook": flaky.url})
        run(settings, log)
    finally:
        flaky.close()
    gaps = [b - a for a, b in zip(flaky.times[:2], flaky.times[1:3], strict=True)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # backoff 50 ms, doubled
    deliveries = [r for r in store.records(settings.root) if r["kind"] == "delivery"]
    assert deliveries[0]["ok"] and deliveries[0]["attempts"] == 3
    assert len(flaky.bodies) == len(oracle(SPEC, rows))


def test_a_dead_receiver_is_retried_in_rounds_then_given_up_and_the_rest_delivered(
    tmp_path,
) -> None:
    down = Receiver(fail=10_000, delay=0)
    try:
        settings, log, rows = setup(
            tmp_path,
            {"webhook": down.url},
            alert_webhook_attempts=2,
            alert_delivery_rounds=2,
            alert_drain_ms=1800,
        )
        run(settings, log)  # does not raise: the commit stands whatever the receiver does
        failed = deliveries(settings)
        # the first alert: a round of 2 attempts, a rest of 1 s, a second round, given up;
        # the rest of the alerts wait (the target rests 2 s now, past the drain's bound)
        assert [(d["id"], d["ok"], d["attempts"]) for d in failed] == [
            (failed[0]["id"], False, 2)
        ] * 2
        assert failed[0]["error"] == "HTTP 500 Internal Server Error"
        assert len(down.times) == 4 and down.times[2] - down.times[1] >= 1.0
        alerts = [r for r in store.records(settings.root) if r["kind"] == "alert"]
        assert len(alerts) == len(oracle(SPEC, rows))
        down.fail = 0  # the receiver is back: the next drain delivers the rest
        evaluate(settings)  # nothing new to evaluate, and an evaluation delivers nothing
        assert len(down.bodies) == 0
        after_ingest(settings)
    finally:
        down.close()
    delivered = deliveries(settings, ok=True)
    assert len(delivered) == len(oracle(SPEC, rows)) - 1 == len(down.bodies)
    assert failed[0]["id"] not in {d["id"] for d in delivered if d["status"] == "firing"}


def test_an_ingest_never_waits_for_a_slow_receiver(tmp_path) -> None:
    slow = Receiver(delay=2.0)
    try:
        # delivered inside the ingest, each notification would cost 3 x 1.5 s and more
        settings, log, rows = setup(tmp_path, {"webhook": slow.url}, alert_webhook_timeout_ms=1500)
        started = time.monotonic()
        ingest([str(log)], settings, listeners=after_commit(settings))
        took = time.monotonic() - started
        assert took < 4.5 and slow.times == []  # not one request was made by the ingest
        assert len([r for r in store.records(settings.root) if r["kind"] == "alert"]) == len(
            oracle(SPEC, rows)
        )
        # a courier (as `serve` and `--follow` run) delivers them: each times out
        quick = settings.with_options(alert_webhook_timeout_ms=200, alert_webhook_attempts=1)
        courier = Courier(quick).start()
        try:
            wait_for(lambda: deliveries(settings))
        finally:
            courier.stop()
    finally:
        slow.close()
    first = deliveries(settings)[0]
    assert not first["ok"] and "timed out" in first["error"]


def test_a_courier_delivers_beside_ingests_and_a_restart_delivers_nothing_twice(
    tmp_path,
) -> None:
    down = Receiver(fail=10_000)
    try:
        settings, log, rows = setup(tmp_path, {"webhook": down.url})
        expected = oracle(SPEC, rows)
        lines = log.read_text().splitlines(keepends=True)
        growing = tmp_path / "growing.jsonl"
        growing.write_text("".join(lines[: len(lines) // 2]))
        # a server's restart: alerts logged before it, never delivered, are delivered first
        ingest([str(growing)], settings, listeners=after_commit(settings))
        before = len([r for r in store.records(settings.root) if r["kind"] == "alert"])
        assert before and not deliveries(settings)
        courier = Courier(settings).start()
        try:
            wait_for(lambda: deliveries(settings, ok=False))  # down: a failed round recorded
            growing.write_text("".join(lines))
            started = time.monotonic()
            ingest([str(growing)], settings, listeners=after_commit(settings))
            assert time.monotonic() - started < 4.5
            down.fail = 0  # back: the rested target's entries go out, each once
            wait_for(lambda: len(deliveries(settings, ok=True)) == len(expected))
        finally:
            courier.stop()
        assert sorted((b["status"], b["group"], b["at"]) for b in down.bodies) == sorted(
            (r["status"], r["group"], r["at"])
            for r in store.records(settings.root)
            if r["kind"] == "alert"
        )
        assert len(down.bodies) == len(expected)
        again = Courier(settings).start()  # restarted: everything was delivered already
        time.sleep(1.5)
        again.stop()
        assert again.delivered == 0 and len(down.bodies) == len(expected)
    finally:
        down.close()


def test_two_deliverers_at_once_deliver_each_notification_once(tmp_path, receiver) -> None:
    settings, log, rows = setup(tmp_path, {"webhook": receiver.url})
    ingest([str(log)], settings, listeners=after_commit(settings))
    threads = [threading.Thread(target=after_ingest, args=(settings,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(receiver.bodies) == len(oracle(SPEC, rows)) == len(deliveries(settings, ok=True))


def test_python_hooks_and_the_log(tmp_path, caplog) -> None:
    HOOKED.clear()
    settings, log, rows = setup(
        tmp_path,
        {"hook": "test_alerts_notify:collect"},
        {"hook": "test_alerts_notify:explode"},
        "log",
        alert_drain_ms=300,  # the failing hook rests 1 s: past the drain's bound
    )
    with caplog.at_level(logging.INFO, logger="loglake.alerts"):
        run(settings, log)
    expected = oracle(SPEC, rows)
    assert [(h["status"], h["group"]) for h in HOOKED] == [(s, g) for s, g, _ in expected]
    outcomes = {}
    for r in store.records(settings.root):
        if r["kind"] == "delivery":
            outcomes.setdefault(r["target"], []).append(r)
    assert all(d["ok"] for d in outcomes["hook test_alerts_notify:collect"])
    (boom,) = outcomes["hook test_alerts_notify:explode"]  # failed once: resting, the rest wait
    assert boom["error"] == "RuntimeError: no thanks: errors"
    assert len(outcomes["log"]) == len(expected)
    fired = [m for m in caplog.messages if m.startswith("alert errors firing")]
    assert len(fired) == sum(1 for s, _, _ in expected if s == "firing")


def test_appending_and_rerunning_fires_nothing_twice_and_loses_nothing(tmp_path, receiver) -> None:
    settings, full, rows = setup(tmp_path, {"webhook": receiver.url})
    lines = full.read_text().splitlines(keepends=True)
    cut = len(lines) // 2
    while rows[cut].ts_us == rows[cut - 1].ts_us:
        cut += 1
    log = tmp_path / "growing.jsonl"
    log.write_text("".join(lines[:cut]))
    run(settings, log)
    first = alerts_of(settings)
    saved = (settings.root / ALERT_STATE).read_bytes()
    log.write_text("".join(lines))  # the file grows: the next ingest reads from its end
    run(settings, log)
    run(settings, log)  # nothing new
    evaluate(settings)  # a restart's evaluation: nothing new either
    after_ingest(settings)
    expected = oracle(SPEC, rows)
    got = alerts_of(settings)
    assert [(s, g) for s, g, _ in got] == [(s, g) for s, g, _ in expected] and len(got) > len(first)
    assert len(receiver.bodies) == len(expected)
    # killed after the alert log was written, before the state: the next evaluation reads the
    # same rows again and logs the same alerts, which count once, and delivers nothing again
    (settings.root / ALERT_STATE).write_bytes(saved)
    evaluate(settings)
    after_ingest(settings)
    assert alerts_of(settings) == got and len(receiver.bodies) == len(expected)
    raw = [
        json.loads(line)
        for f in sorted((settings.root / "alerts/log").iterdir())
        for line in f.read_text().splitlines()
    ]
    assert len([r for r in raw if r["kind"] == "alert"]) == 2 * len(expected) - len(first)


def test_an_edited_rules_file_counts_from_the_next_commit(tmp_path) -> None:
    settings, log, rows = setup(tmp_path)
    lines = log.read_text().splitlines(keepends=True)
    growing = tmp_path / "g.jsonl"
    growing.write_text("".join(lines[:100]))
    run(settings, growing)
    before = alerts_of(settings)
    rule = yaml.safe_load(Path(settings.alert_rules).read_text())
    rule["rules"][0]["condition"]["threshold"] = 5
    Path(settings.alert_rules).write_text(yaml.safe_dump(rule))
    shutil.copy(log, growing)
    run(settings, growing)
    # the rule changed, so its windows start afresh over the rows after the first commit
    lower = Spec("count", 60_000_000, level="error", group_by="host", threshold=5)
    expected = [(s, g, t) for s, g, t in oracle(lower, rows[100:])]
    got = alerts_of(settings)[len(before) :]
    assert expected and [(s, g) for s, g, _ in got] == [(s, g) for s, g, _ in expected]
    assert len([e for e in expected if e[0] == "firing"]) > len(oracle(SPEC, rows)) // 2


def test_metrics_count_fired_resolved_and_failed_deliveries_from_the_log(tmp_path) -> None:
    down = Receiver(fail=10_000, delay=0)
    try:
        settings, log, rows = setup(
            tmp_path, {"webhook": down.url}, alert_webhook_attempts=1, alert_drain_ms=500
        )
        run(settings, log)
    finally:
        down.close()
    expected = oracle(SPEC, rows)
    fired = sum(1 for status, _g, _t in expected if status == "firing")
    resolved = sum(1 for status, _g, _t in expected if status == "resolved")
    failed = len(deliveries(settings, ok=False))
    assert fired and resolved and failed
    from loglake import Lake  # a fresh process's view: the counts come from the log

    text = str(Lake(settings.root).metrics("prometheus"))
    assert f'loglake_alerts_fired_total{{rule="errors"}} {float(fired)}' in text
    assert f'loglake_alerts_resolved_total{{rule="errors"}} {float(resolved)}' in text
    assert (
        f'loglake_alert_delivery_failures_total{{kind="webhook",rule="errors"}} {float(failed)}'
        in text
    )
    assert down.url not in text  # a webhook URL may carry a token
