"""`make bench`: ingest speed against DuckDB's read_json, peak memory, then query latency.

Everything is measured in this one run on this machine: a seeded, realistic mongod log is
generated, then loglake's ingest and the DuckDB baseline (what a savvy user would run
instead: read_json projecting the slow-query fields and attr.command to Parquet) each run
as a separate process whose whole process tree is sampled for resident memory. Results
and the exact command go to docs/benchmarks.md. Then bench/queries.py times the analytics
questions on a lake of >= 5 million slow queries, bench/ui.py the dashboard's first
paint in Chromium on the demo dataset, bench/logs.py retrieval (/api/logs and its
aggregations) on the same >= 10 million events, bench/s3.py ingest from an S3 server vs
local disk (on the first size) and bench/tiers.py the cold tier (on a loopback S3 server)
against the hot one and archive throughput; each writes its own section of that file.

    python bench/run.py [--sizes 1GB,3GB] [--repeat 3] [--workdir bench/out] [--no-write]
                        [--only ingest|queries|logs|ui|s3|templates|postgres|tiers|interactions]
                        [--warm 20] [--pg-size 1GB]

bench/interactions.py generates an assistant's logs, ingests them and times the interaction
questions and the /interactions page (its own section).

The PostgreSQL row (bench/postgres.py) ingests pgBadger's fixture repeated to --pg-size with
loglake and with `pgbadger -j 2`, and writes its own section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import logs
import psutil
import queries
import s3 as s3_bench
import templates
import tiers
import ui

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
RESULTS = REPO / "docs" / "benchmarks.md"
MB = 1_000_000
NOTES_MARK = (
    "<!-- notes below are written by hand and kept when the results above are rewritten -->"
)


def parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float | str]:
    """Run a command; wall seconds and the peak summed RSS of its process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += p.memory_info().rss
                peak = max(peak, total)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.decode(errors='replace')[-3000:]}")
    return {"seconds": seconds, "peak_rss": peak, "stdout": out.decode()}


def generate(path: Path, size: int, seed: int) -> dict:
    stats = path.with_suffix(".stats.json")
    if not path.exists() or path.stat().st_size < size * 0.97:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "loglake.generate",
                "--size",
                str(size),
                "--seed",
                str(seed),
                "--tz",
                "+00:00,-04:00,+05:30",
                "-o",
                str(path),
                "--stats",
                str(stats),
            ],
            check=True,
        )
    return json.loads(stats.read_text()) if stats.exists() else {}


def run_loglake(log: Path, root: Path) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    result = measured(
        [sys.executable, "-m", "loglake", "ingest", str(log), "--out", str(root), "--json", "-q"]
    )
    report = json.loads(result["stdout"])
    result["report"] = report
    return result


def run_duckdb(log: Path, out_dir: Path) -> dict:
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    code = (
        f"import json, sys; sys.path.insert(0, {str(BENCH)!r}); "
        "from duckdb_baseline import duckdb_baseline; "
        f"print(json.dumps(duckdb_baseline({str(log)!r}, {str(out_dir)!r})))"
    )
    result = measured([sys.executable, "-c", code])
    result["report"] = json.loads(result["stdout"].strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1GB,3GB", help="log sizes; speed ratio on the first")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timed command")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", default=str(BENCH / "out"))
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument(
        "--only",
        choices=(
            "ingest",
            "queries",
            "logs",
            "ui",
            "s3",
            "templates",
            "postgres",
            "tiers",
            "interactions",
        ),
        help="run one part only",
    )
    ap.add_argument("--pg-size", default="1GB", help="size of the PostgreSQL log (pgBadger row)")
    queries.add_arguments(ap)
    logs.add_arguments(ap)
    args = ap.parse_args()
    if args.only in (None, "ingest"):
        ingest_benchmark(args)
    if args.only in (None, "queries"):
        query_benchmark(args)
    if args.only in (None, "logs"):
        logs_benchmark(args)
    if args.only in (None, "ui"):
        ui.main(["--workdir", args.workdir] + (["--no-write"] if args.no_write else []))
    if args.only in (None, "s3"):
        size = args.sizes.split(",")[0]
        s3_bench.main(
            ["--workdir", args.workdir, "--size", size, "--repeat", str(args.repeat), "--dask"]
            + (["--no-write"] if args.no_write else [])
        )
    if args.only in (None, "templates"):  # our template miner against plain drain3
        templates.main(["--no-write"] if args.no_write else [])
    if args.only in (None, "postgres"):
        import postgres  # imports this module's helpers

        postgres.main(
            ["--workdir", args.workdir, "--size", args.pg_size]
            + (["--no-write"] if args.no_write else []),
            command=f"python bench/run.py --only postgres --pg-size {args.pg_size}",
        )
    if args.only in (None, "tiers"):
        argv = ["--workdir", args.workdir] + (["--no-write"] if args.no_write else [])
        tiers.main(argv, command="python bench/run.py --only tiers  # = bench/tiers.py")
    if args.only in (None, "interactions"):
        import interactions

        argv = ["--workdir", str(Path(args.workdir) / "interactions")]
        interactions.main(argv + (["--no-write"] if args.no_write else []))


def query_benchmark(args: argparse.Namespace) -> None:
    """bench/queries.py with this script's work directory; the command recorded is this one."""
    argv = ["--workdir", args.workdir, "--warm", str(args.warm)]
    if args.no_write:
        argv.append("--no-write")
    if args.only == "queries":
        command = "python bench/run.py --only queries"
    else:
        command = "make bench  # = python bench/run.py"
        if args.sizes != "1GB,3GB" or args.repeat != 3:
            command += f" --sizes {args.sizes} --repeat {args.repeat}"
    if args.warm != 20:
        command += f" --warm {args.warm}"
    queries.main(argv, command=command)


def logs_benchmark(args: argparse.Namespace) -> None:
    """bench/logs.py with this script's work directory (and --size for a small proof run)."""
    argv = ["--workdir", args.workdir, "--warm", str(args.warm)]
    argv += ["--no-write"] if args.no_write else []
    argv += ["--size", args.size] if args.size else []
    argv += ["--lake", args.lake] if args.lake else []
    argv += ["--no-wait"] if args.no_wait else []
    command = "python bench/run.py --only logs" + (f" --size {args.size}" if args.size else "")
    command += f" --lake {args.lake}" if args.lake else ""
    command += f" --warm {args.warm}" if args.warm != 20 else ""
    command += " --no-wait" if args.no_wait else ""
    logs.main(argv, command=command)


def ingest_benchmark(args: argparse.Namespace) -> None:
    """Ingest speed and peak memory; writes the top of docs/benchmarks.md."""
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    rows = []
    for n, size in enumerate(sizes):
        log = work / f"mongod-{size // MB}MB-seed{args.seed}.log"
        gen = generate(log, size, args.seed)
        nbytes = log.stat().st_size
        repeat = args.repeat if n == 0 else 1
        ours = [run_loglake(log, work / "lake") for _ in range(repeat)]
        theirs = [run_duckdb(log, work / "duckdb") for _ in range(repeat)] if n == 0 else []
        ours_s = statistics.median(r["seconds"] for r in ours)
        row = {
            "size_mb": nbytes / MB,
            "lines": gen.get("lines"),
            "slow": ours[0]["report"]["rows"]["slow_queries"],
            "loglake_s": ours_s,
            "loglake_mbps": nbytes / MB / ours_s,
            "loglake_rss_mb": max(r["peak_rss"] for r in ours) / MB,
        }
        if theirs:
            duck_s = statistics.median(r["seconds"] for r in theirs)
            row.update(
                duckdb_s=duck_s,
                duckdb_mbps=nbytes / MB / duck_s,
                duckdb_rss_mb=max(r["peak_rss"] for r in theirs) / MB,
                duckdb_rows=theirs[0]["report"].get("rows"),
                ratio=duck_s / ours_s,
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    growth = None
    if len(rows) > 1:
        growth = rows[-1]["loglake_rss_mb"] / rows[0]["loglake_rss_mb"] - 1
        print(json.dumps({"rss_growth": growth}))
    if not args.no_write:
        write_results(rows, growth, args)


def kept_sections() -> str:
    """Every section the other benchmarks wrote (each between its `<!-- … -->` markers),
    as it stands: what lies between the ingest part and the hand-written notes."""
    if not RESULTS.exists():
        return ""
    doc = RESULTS.read_text().split(NOTES_MARK, 1)[0]
    at = doc.find("\n<!-- ")
    return "" if at < 0 else doc[at + 1 :].rstrip("\n") + "\n\n"


def write_results(rows: list[dict], growth: float | None, args: argparse.Namespace) -> None:
    cmd = "make bench  # = python bench/run.py --sizes " + args.sizes + f" --repeat {args.repeat}"
    first = rows[0]
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (bench/run.py) on this project's 2-core machine; every",
        "number below comes from one run of that command, baseline included. Regenerate",
        "with the command; only the notes at the end are written by hand.",
        "",
        f"- command: `{cmd}`",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "- input: seeded generated mongod 7.0 JSON log (`python -m loglake.generate`, seed "
        f"{args.seed}, offsets +00:00/-04:00/+05:30), realistic mix of slow queries, "
        "connections, auth and noise",
        "- loglake: `loglake ingest FILE --json -q` (all cores, zstd): every line to `events`, "
        "slow queries with shapes, auth, connections, offsets, summaries",
        "- baseline: DuckDB `read_json` of the same file projecting the slow-query fields and "
        "`attr.command` to one Parquet file (bench/duckdb_baseline.py), all cores",
        "- peak RSS: sum over the process tree (workers included), sampled every 50 ms",
        "",
        "## Ingest speed (median of repeated runs)",
        "",
        "| input | loglake | DuckDB read_json | speed ratio (loglake / DuckDB) |",
        "|---|---|---|---|",
        f"| {first['size_mb']:,.0f} MB, {first['slow']:,} slow queries | "
        f"{first['loglake_s']:.1f} s, {first['loglake_mbps']:.1f} MB/s | "
        f"{first['duckdb_s']:.1f} s, {first['duckdb_mbps']:.1f} MB/s | "
        f"**{first['ratio']:.2f}x** |",
        "",
        "## Peak memory during ingest",
        "",
        "| input | loglake peak RSS | DuckDB peak RSS |",
        "|---|---|---|",
    ]
    for r in rows:
        duck = f"{r['duckdb_rss_mb']:,.0f} MB" if "duckdb_rss_mb" in r else "-"
        lines.append(f"| {r['size_mb']:,.0f} MB | {r['loglake_rss_mb']:,.0f} MB | {duck} |")
    if growth is not None:
        lines += ["", f"Peak RSS growth from the smallest to the largest input: {growth:+.1%}."]
    lines += ["", "Raw results:", "", "```json", *[json.dumps(r) for r in rows], "```", ""]
    notes = ""
    if RESULTS.exists() and NOTES_MARK in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARK, 1)[1]
    RESULTS.write_text("\n".join(lines) + "\n" + kept_sections() + NOTES_MARK + notes)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
