"""Application-log ingest speed: each generated log (`loglake generate app`) ingested alone.

Generates a seeded service log (pino JSON lines, its nginx access log, a Java and a Python
worker log with stack traces, and the same pino records as per-minute JSON array files),
then times `loglake ingest FILE --json -q --workers N` on each in its own process and
checks the event counts against truth.json. Results go to their own section of
docs/benchmarks.md (between the applogs markers), with the command.

    python bench/applogs.py [--requests 200000] [--workers 1] [--workdir bench/out/applogs]
                            [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "benchmarks.md"
START, END = "<!-- applogs:start -->", "<!-- applogs:end -->"
INPUTS = (  # (what, path under the output folder, truth key, format)
    ("pino JSON lines", "lines/app.jsonl", "app.jsonl", "jsonl"),
    ("JSON array files, one a minute", "arrays/app", "app/", "json-array"),
    ("nginx access log", "lines/access.log", "access.log", "text"),
    ("Java worker (logback, stack traces)", "lines/worker-java.log", "worker-java.log", "text"),
    ("Python worker (tracebacks)", "lines/worker-python.log", "worker-python.log", "text"),
)


def loglake(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loglake", *args], capture_output=True, text=True, check=True
    )


def measure(work: Path, requests: int, workers: int) -> list[dict[str, object]]:
    minutes = max(10, requests // 500)
    truths = {}
    for mode, extra in (("lines", []), ("arrays", ["--json-array"])):
        out = work / mode
        shutil.rmtree(out, ignore_errors=True)
        loglake("generate", "app", "-o", str(out), "--requests", str(requests),
                "--minutes", str(minutes), "--seed", "42", *extra)  # fmt: skip
        truths[mode] = json.loads((out / "truth.json").read_text())
    rows = []
    for what, relpath, key, fmt in INPUTS:
        lake = work / "lake"
        shutil.rmtree(lake, ignore_errors=True)
        started = time.perf_counter()
        done = loglake("ingest", str(work / relpath), "--out", str(lake), "--json", "-q",
                       "--workers", str(workers))  # fmt: skip
        wall = time.perf_counter() - started
        report = json.loads(done.stdout)
        truth = truths[relpath.split("/")[0]]["files"][key]
        assert report["rows"]["events"] == truth["events"], (what, report["rows"], truth)
        assert {f["format"] for f in report["files"]} == {fmt}, report["files"]
        rows.append(
            {
                "what": what,
                "format": fmt,
                "events": report["rows"]["events"],
                "mb": report["bytes"] / 1e6,
                "seconds": report["seconds"],
                "wall": wall,
            }
        )
    return rows


def section(rows: list[dict[str, object]], command: str, requests: int, workers: int) -> str:
    lines = [
        START,
        "## Application logs: ingest speed",
        "",
        f"- command: `{command}`",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"Python {platform.python_version()}; {workers} worker(s); load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine: other jobs ran)",
        f"- input: `loglake generate app --requests {requests} --seed 42` (each file ingested "
        "alone, event counts checked against truth.json)",
        "",
        "| input | format | events | MB | ingest s | events/s | MB/s | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        seconds = float(r["seconds"]) or 1e-9  # type: ignore[arg-type]
        lines.append(
            f"| {r['what']} | `{r['format']}` | {r['events']:,} | {r['mb']:.1f} | "
            f"{seconds:.2f} | {float(r['events']) / seconds:,.0f} | "  # type: ignore[arg-type]
            f"{float(r['mb']) / seconds:.1f} | {float(r['wall']):.2f} |"  # type: ignore[arg-type]
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    doc = RESULTS.read_text()
    if START in doc and END in doc:
        before, rest = doc.split(START, 1)
        doc = before + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(doc)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "applogs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = measure(args.workdir, args.requests, args.workers)
    command = f"python bench/applogs.py --requests {args.requests} --workers {args.workers}"
    text = section(rows, command, args.requests, args.workers)
    print(text)
    if not args.no_write:
        write(text)


if __name__ == "__main__":
    main()
