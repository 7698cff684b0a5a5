"""Push ingest against a real `loglake serve` process on loopback.

- A server killed with SIGKILL while clients push loses nothing it acknowledged; the clients
  then retry what was not acknowledged with the same Idempotency-Key, and every record is
  in the lake exactly once (the key commits atomically with its rows).
- 20 clients pushing and querying at once for a few seconds: zero errors, and the lake holds
  every sent record exactly once, counted against what was sent.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import free_port
from push_data import committed_rids, records

BATCH = 100


@contextmanager
def serving(root: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`loglake serve` over root in its own process; yields its URL and the process."""
    port = free_port()
    log = (root.parent / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "loglake", "serve", "--data", str(root), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LOGLAKE_PUSH_BATCH_MS": "50", **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


def post(url: str, body: bytes, key: str, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    """Push one body; (status, JSON answer)."""
    request = urllib.request.Request(
        f"{url}/api/ingest",
        data=body,
        headers={"Content-Type": "application/x-ndjson", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str, path: str) -> tuple[int, dict[str, Any]]:
    """GET a JSON route; (status, answer)."""
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_killed_server_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    batches = {
        f"k{c}-{b}": records(f"k{c}", BATCH, start=b * BATCH) for c in range(4) for b in range(40)
    }
    acknowledged: set[str] = set()
    stop = threading.Event()

    def client(c: int) -> None:
        for b in range(25):
            key = f"k{c}-{b}"
            if stop.is_set():
                return
            try:
                status, answer = post(url, b"".join(batches[key]), key)
            except OSError:
                return  # the server died under this push: not acknowledged
            if status == 200 and answer["accepted"] == BATCH:
                acknowledged.add(key)

    with serving(root) as (url, proc):
        threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # mid-push: clients are waiting on commits
        proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert len(acknowledged) >= 12
    rids = committed_rids(root)
    for key in acknowledged:  # every acknowledged record is there, once
        for line in batches[key]:
            assert rids[json.loads(line)["rid"]] == 1, key
    assert all(n == 1 for n in rids.values())
    retried: list[tuple[int, int]] = []

    def retry(c: int) -> None:
        for key in (k for k in batches if k.startswith(f"k{c}-") and k not in acknowledged):
            status, answer = post(url, b"".join(batches[key]), key)
            retried.append((status, answer.get("accepted", 0)))

    with serving(root) as (url, _proc):  # restart (the stale lock is taken over), then retry
        assert get(url, "/readyz")[0] == 200
        threads = [threading.Thread(target=retry, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert retried and all(r == (200, BATCH) for r in retried)
    want = Counter(json.loads(line)["rid"] for lines in batches.values() for line in lines)
    assert committed_rids(root) == want  # every record exactly once


def test_twenty_clients_push_and_query_without_errors_or_loss(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    errors: list[str] = []
    sent: Counter[str] = Counter()
    push_s: list[float] = []
    query_s: list[float] = []
    lock = threading.Lock()

    def client(c: int, until: float) -> None:
        b = 0
        while time.monotonic() < until:
            lines = records(f"w{c}", 50, start=b * 50)
            started = time.perf_counter()
            status, answer = post(url, b"".join(lines), f"w{c}-{b}")
            took = time.perf_counter() - started
            if status != 200 or answer["accepted"] != 50:
                errors.append(f"push {c}/{b}: {status} {answer}")
            with lock:
                sent.update(json.loads(line)["rid"] for line in lines)
                push_s.append(took)
            for path in ("/api/logs?limit=5", "/api/logs/aggregate?group_by=level"):
                started = time.perf_counter()
                status, answer = get(url, path)
                if status != 200:
                    errors.append(f"query {path}: {status} {answer}")
                with lock:
                    query_s.append(time.perf_counter() - started)
            b += 1

    with serving(root, LOGLAKE_SERVER_THREADS="24") as (url, _proc):
        until = time.monotonic() + 4
        threads = [threading.Thread(target=client, args=(c, until)) for c in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors[:5]
        status, page = get(url, "/api/logs?limit=1")
        assert status == 200 and page["total"] == sum(sent.values())
    assert sent and all(n == 1 for n in sent.values())
    assert committed_rids(root) == sent  # nothing lost, nothing doubled
    p50, p99 = statistics.median(push_s), statistics.quantiles(push_s, n=100)[98]
    q50 = statistics.median(query_s)
    print(f"pushes {len(push_s)} p50 {p50 * 1000:.0f} ms p99 {p99 * 1000:.0f} ms; "
          f"queries {len(query_s)} p50 {q50 * 1000:.0f} ms")  # fmt: skip
