"""Push ingest under load: many clients pushing and querying one `loglake serve` on loopback.

`loglake serve` runs as its own process over a fresh lake; N client threads (100 by
default) each push bodies of R seeded JSON records (each with a unique id and an
Idempotency-Key) to `POST /api/ingest`, and ask `GET /api/logs` after every push, for S
seconds. The run fails on any error answer, and afterwards counts the committed records
(DuckDB over the files the manifest lists) against what was acknowledged: none lost, none
doubled. Push throughput (acknowledged records per second) and the p50/p99 latencies of
pushes and queries go to the "Push ingest under load" section of docs/benchmarks.md.

    python bench/push.py [--clients 100] [--seconds 10] [--records 1000] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def body(client: int, batch: int, n: int) -> bytes:
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


def serve(root: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    """`loglake serve` over root, waited for."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "loglake", "serve", "--data", str(root), "--port", str(port),
         "--threads", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        if call(f"http://127.0.0.1:{port}/healthz")[0] == 200:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start")


def run(clients: int, seconds: float, records: int, workdir: Path) -> dict[str, Any]:
    """The load run; its measurements."""
    root = workdir / "lake"
    shutil.rmtree(root, ignore_errors=True)
    port = 18000 + os.getpid() % 1000
    url = f"http://127.0.0.1:{port}"
    proc = serve(root, port, clients + 8)
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
            started = time.perf_counter()
            q_status, _ = call(f"{url}/api/logs?limit=5&level=ERROR")
            q_took = time.perf_counter() - started
            if q_status != 200:
                errors.append(f"query: {q_status}")
            with lock:
                pushes.append(took)
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
    proc.terminate()
    proc.wait(timeout=60)
    got = committed(root)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "records_per_body": records,
        "pushes": len(pushes),
        "records": sum(acked.values()),
        "records_per_s": round(sum(acked.values()) / elapsed),
        "push_p50_ms": round(1000 * statistics.median(pushes)),
        "push_p99_ms": round(1000 * statistics.quantiles(pushes, n=100)[98]),
        "query_p50_ms": round(1000 * statistics.median(queries)),
        "query_p99_ms": round(1000 * statistics.quantiles(queries, n=100)[98]),
        "errors": len(errors),
        "first_errors": errors[:3],
        "lost": sum(1 for rid in acked if got[rid] == 0),
        "doubled": sum(1 for n in got.values() if n > 1),
        "commits": json.loads((root / "manifest.json").read_text())["dataset_version"],
    }


def section(row: dict[str, Any], command: str) -> str:
    """The "Push ingest under load" section."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join([
        "## Push ingest under load",
        "",
        f"- command: `{command}`; when: {when}; {os.cpu_count()} cores, server and clients "
        "on the same machine (loopback)",
        f"- {row['clients']} clients, each pushing bodies of {row['records_per_body']:,} JSON "
        "records (`POST /api/ingest`, Idempotency-Key) and asking `GET /api/logs` after each, "
        f"for {row['seconds']} s; default batching (10,000 records or 200 ms)",
        "",
        "| records/s acknowledged | pushes | push p50 / p99 | query p50 / p99 | commits | "
        "errors | lost | doubled |",
        "|---|---|---|---|---|---|---|---|",
        f"| {row['records_per_s']:,} | {row['pushes']:,} | {row['push_p50_ms']:,} / "
        f"{row['push_p99_ms']:,} ms | {row['query_p50_ms']:,} / {row['query_p99_ms']:,} ms | "
        f"{row['commits']:,} | {row['errors']} | {row['lost']} | {row['doubled']} |",
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
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="loglake-push-"))
    row = run(args.clients, args.seconds, args.records, workdir)
    print(json.dumps(row), flush=True)
    if not args.no_write:
        command = (f"python bench/push.py --clients {args.clients} --seconds {args.seconds:g} "
                   f"--records {args.records}")  # fmt: skip
        write_section(section(row, command), PUSH_MARK, PUSH_END)
    if row["errors"] or row["lost"] or row["doubled"]:
        raise SystemExit("push load: errors, lost or doubled records (see above)")
    return row


if __name__ == "__main__":
    main()
