"""Push ingest under load: many clients pushing and querying one `loglake serve` on loopback.

`loglake serve` runs as its own process over a fresh lake; N client threads (100 by
default) each push bodies of R seeded JSON records (each with a unique id and an
Idempotency-Key) to `POST /api/ingest`, and ask `GET /api/logs` after every push, for S
seconds. The run fails on any error answer, and afterwards counts the committed records
(DuckDB over the files the manifest lists) against what was acknowledged: none lost, none
doubled. Push throughput (acknowledged records per second) and the p50/p99 latencies of
pushes and queries go to the "Push ingest under load" section of docs/benchmarks.md.
With `--follow`, a `loglake ingest --follow` process ingests a growing file into the same
lake meanwhile (a writer appends FOLLOW_BATCH records every FOLLOW_EVERY_S); its records
are counted the same way (written, none lost, none doubled), into a section of their own.

    python bench/push.py [--clients 100] [--seconds 10] [--records 1000] [--follow]
                         [--push-only] [--no-write]

`--push-only`: the clients push and never query (the push throughput alone, its own
section).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
from queries import write_section

PUSH_MARK = "<!-- push load: written by bench/push.py -->"
PUSH_END = "<!-- end of push load -->"
FOLLOW_MARK = "<!-- push and follow load: written by bench/push.py --follow -->"
FOLLOW_END = "<!-- end of push and follow load -->"
ONLY_MARK = "<!-- push only: written by bench/push.py --push-only -->"
ONLY_END = "<!-- end of push only -->"
FOLLOW_BATCH = 200  # records the writer appends to the followed file at a time
FOLLOW_EVERY_S = 0.05


def body(client: int | str, batch: int, n: int) -> bytes:
    """n JSON records of one client's batch, ids `client-batch-i`."""
    lines = []
    for i in range(n):
        second = (batch * n + i) % 86_400
        ts = f"2024-06-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
        level = ("info", "info", "info", "warn", "error")[i % 5]
        rid = f"{client}-{batch}-{i}"
        record = {"ts": ts, "level": level, "msg": f"request {i} ok", "rid": rid}
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode()


def call(url: str, data: bytes | None = None, key: str = "") -> tuple[int, dict[str, Any]]:
    """One request; (status, JSON answer); status 0 for a connection failure."""
    headers = {"Content-Type": "application/x-ndjson", "Idempotency-Key": key} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError as exc:
        return 0, {"error": str(exc)}


def committed(root: Path) -> Counter[str]:
    """rid -> committed events rows, over the manifest's files."""
    manifest = json.loads((root / "manifest.json").read_text())
    files = [str(root / r) for r, a in manifest["artifacts"].items() if a["stream"] == "events"]
    rows = duckdb.connect().execute(
        "SELECT json_extract_string(attrs, '$.rid'), count(*) FROM read_parquet(?) GROUP BY 1",
        [files],
    )
    return Counter(dict(rows.fetchall()))


def free_port() -> int:
    """A loopback port nothing listens on now (another helper's server may use a fixed one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(root: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    """`loglake serve` over root, waited for (its output in serve.log beside the lake)."""
    with (root.parent / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "loglake", "serve", "--data", str(root), "--port",
             str(port), "--threads", str(threads)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    for _ in range(300):
        if call(f"http://127.0.0.1:{port}/healthz")[0] == 200:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start")


class Follow:
    """`loglake ingest --follow` over a file that a thread keeps appending records to."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.path = workdir / "growing.jsonl"
        self.log = workdir / "follow.log"
        self.path.write_bytes(body("follow", 0, FOLLOW_BATCH))
        self.written = FOLLOW_BATCH
        self.batches = 1
        self._stop = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loglake", "ingest", "--follow", str(self.path), "--data",
             str(root), "--interval", "0.5", "-q"],
            stdout=subprocess.DEVNULL, stderr=self.log.open("wb"),
        )  # fmt: skip
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        with self.path.open("ab") as f:
            while not self._stop.wait(FOLLOW_EVERY_S):
                f.write(body("follow", self.batches, FOLLOW_BATCH))
                f.flush()
                self.written += FOLLOW_BATCH
                self.batches += 1

    def rounds(self) -> int | None:
        """The rounds the follow committed, as it said when it stopped."""
        found = re.search(r"(\d+) rounds committed", self.log.read_text())
        return int(found[1]) if found else None

    def rids(self) -> list[str]:
        """Every record id written to the followed file."""
        return [f"follow-{b}-{i}" for b in range(self.batches) for i in range(FOLLOW_BATCH)]

    def finish(self, root: Path, timeout: float = 120) -> float:
        """Stop writing, wait until the follow committed everything (or the timeout), stop
        it; how long the catching up took."""
        self._stop.set()
        self.thread.join()
        started = time.monotonic()
        wanted = set(self.rids())
        while time.monotonic() - started < timeout:
            try:
                got = committed(root)
            except duckdb.Error:  # a file compacted away between the manifest and the read
                continue
            if all(got[r] for r in wanted):
                break
            time.sleep(0.5)
        caught_up = time.monotonic() - started
        self.proc.terminate()  # SIGTERM: the follow ends after its round
        self.proc.wait(timeout=60)
        return caught_up


def run(
    clients: int,
    seconds: float,
    records: int,
    workdir: Path,
    follow: bool = False,
    queries_too: bool = True,
) -> dict[str, Any]:
    """The load run; its measurements."""
    root = workdir / "lake"
    shutil.rmtree(root, ignore_errors=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve(root, port, clients + 8)
    follower = Follow(root, workdir) if follow else None
    pushes: list[float] = []
    queries: list[float] = []
    errors: list[str] = []
    acked: Counter[str] = Counter()
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def client(c: int) -> None:
        batch = 0
        while time.monotonic() < until:
            data = body(c, batch, records)
            started = time.perf_counter()
            status, answer = call(f"{url}/api/ingest", data, f"{c}-{batch}")
            took = time.perf_counter() - started
            if status != 200 or answer.get("accepted") != records:
                errors.append(f"push {c}-{batch}: {status} {answer}")
            q_took = None
            if queries_too:
                started = time.perf_counter()
                q_status, _ = call(f"{url}/api/logs?limit=5&level=ERROR")
                q_took = time.perf_counter() - started
                if q_status != 200:
                    errors.append(f"query: {q_status}")
            with lock:
                pushes.append(took)
                if q_took is not None:
                    queries.append(q_took)
                if status == 200:
                    acked.update(f"{c}-{batch}-{i}" for i in range(records))
            batch += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    caught_up = follower.finish(root) if follower is not None else None
    proc.terminate()
    proc.wait(timeout=60)
    got = committed(root)
    extra: dict[str, Any] = {}
    if follower is not None:
        rids = follower.rids()
        extra = {
            "follow_written": len(rids),
            "follow_lost": sum(1 for rid in rids if got[rid] == 0),
            "follow_doubled": sum(1 for rid in rids if got[rid] > 1),
            "follow_catch_up_s": round(caught_up or 0, 2),
            "follow_exit": follower.proc.returncode,
            "follow_rounds": follower.rounds(),
        }
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "records_per_body": records,
        "pushes": len(pushes),
        "records": sum(acked.values()),
        "records_per_s": round(sum(acked.values()) / elapsed),
        "push_p50_ms": round(1000 * statistics.median(pushes)),
        "push_p99_ms": round(1000 * statistics.quantiles(pushes, n=100)[98]),
        "query_p50_ms": round(1000 * statistics.median(queries)) if queries else None,
        "query_p99_ms": round(1000 * statistics.quantiles(queries, n=100)[98])
        if len(queries) > 1
        else None,
        "errors": len(errors),
        "first_errors": errors[:3],
        "lost": sum(1 for rid in acked if got[rid] == 0),
        "doubled": sum(1 for n in got.values() if n > 1),
        "commits": json.loads((root / "manifest.json").read_text())["dataset_version"],
        **extra,
    }


def section(row: dict[str, Any], command: str, queries_too: bool = True) -> str:
    """The "Push ingest under load" section (or its push-only twin)."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    title = "Push ingest under load" if queries_too else "Push ingest alone (throughput)"
    asking = "and asking `GET /api/logs` after each" if queries_too else "and nothing else"
    return "\n".join([
        f"## {title}",
        "",
        f"- command: `{command}`; when: {when}; {os.cpu_count()} cores, server and clients "
        "on the same machine (loopback)",
        f"- {row['clients']} clients, each pushing bodies of {row['records_per_body']:,} JSON "
        f"records (`POST /api/ingest`, Idempotency-Key) {asking}, "
        f"for {row['seconds']} s; default batching (10,000 records or 200 ms)",
        "",
        "| records/s acknowledged | pushes | push p50 / p99 | query p50 / p99 | commits | "
        "errors | lost | doubled |",
        "|---|---|---|---|---|---|---|---|",
        f"| {row['records_per_s']:,} | {row['pushes']:,} | {row['push_p50_ms']:,} / "
        f"{row['push_p99_ms']:,} ms | {_ms(row['query_p50_ms'])} / {_ms(row['query_p99_ms'])} | "
        f"{row['commits']:,} | {row['errors']} | {row['lost']} | {row['doubled']} |",
        "",
        "```json",
        json.dumps(row),
        "```",
        "",
    ])  # fmt: skip


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value:,} ms"


def follow_section(row: dict[str, Any], command: str) -> str:
    """The "Push and follow under load" section."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join([
        "## Push, queries and a follow ingest under load",
        "",
        f"- command: `{command}`; when: {when}; {os.cpu_count()} cores, 1-minute load "
        f"average {os.getloadavg()[0]:.1f} before the run; server, clients and follow on one "
        "machine (loopback)",
        f"- {row['clients']} clients pushing bodies of {row['records_per_body']:,} JSON records "
        "and asking `GET /api/logs` after each, while `loglake ingest --follow` (its own "
        f"process, `--interval 0.5`) ingests a file a writer grows by {FOLLOW_BATCH} records "
        f"every {FOLLOW_EVERY_S * 1000:.0f} ms, for {row['seconds']} s; the follow committed "
        f"{row['follow_rounds']} rounds (a round that finds the lake locked by a push commit is "
        "tried again 50 ms later), the last ones catching up once the pushes stopped",
        "",
        "| push records/s | push p50 / p99 | query p50 / p99 | errors | pushed lost / doubled "
        "| followed records | followed lost / doubled | follow caught up after |",
        "|---|---|---|---|---|---|---|---|",
        f"| {row['records_per_s']:,} | {row['push_p50_ms']:,} / {row['push_p99_ms']:,} ms | "
        f"{row['query_p50_ms']:,} / {row['query_p99_ms']:,} ms | {row['errors']} | "
        f"{row['lost']} / {row['doubled']} | {row['follow_written']:,} | "
        f"{row['follow_lost']} / {row['follow_doubled']} | {row['follow_catch_up_s']} s |",
        "",
        "```json",
        json.dumps(row),
        "```",
        "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--records", type=int, default=1000, help="records per pushed body")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--follow", action="store_true", help="a follow ingest runs alongside")
    ap.add_argument("--push-only", action="store_true", help="clients push, never query")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="loglake-push-"))
    row = run(args.clients, args.seconds, args.records, workdir, args.follow, not args.push_only)
    print(json.dumps(row), flush=True)
    if not args.no_write:
        command = (f"python bench/push.py --clients {args.clients} --seconds {args.seconds:g} "
                   f"--records {args.records}" + (" --follow" if args.follow else "")
                   + (" --push-only" if args.push_only else ""))  # fmt: skip
        if args.push_only:
            write_section(section(row, command, False), ONLY_MARK, ONLY_END)
        elif args.follow:
            write_section(follow_section(row, command), FOLLOW_MARK, FOLLOW_END)
        else:
            write_section(section(row, command), PUSH_MARK, PUSH_END)
    bad = row["errors"] or row["lost"] or row["doubled"]
    if bad or row.get("follow_lost") or row.get("follow_doubled"):
        raise SystemExit("push load: errors, lost or doubled records (see above)")
    return row


if __name__ == "__main__":
    main()
