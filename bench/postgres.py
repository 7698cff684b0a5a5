"""PostgreSQL ingest against pgBadger: the same ≥ 1 GB log, the same run, this machine.

The input is a real log — pgBadger's own fixture `light.postgres.log` (../shared/data/
postgres/pgbadger, stderr with `%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h`) — repeated
until the file reaches the size asked. `pgbadger -j 2 -x json` (Debian's pgBadger 12.0, the
tool DBAs run today) and `loglake ingest FILE --json -q` each run as their own process whose
whole process tree is sampled for resident memory (bench/run.py's `measured`). Both tools'
statement counts are recorded beside the times, so a fast wrong answer shows. The result is
the "PostgreSQL ingest" section of docs/benchmarks.md.

    python bench/postgres.py [--size 1GB] [--repeat 1] [--workdir bench/out] [--no-write]
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from queries import write_section
from run import MB, measured, parse_size

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SOURCE = REPO.parent / "shared" / "data" / "postgres" / "pgbadger" / "light.postgres.log.bz2"
PG_MARK = "<!-- postgres ingest: written by bench/postgres.py -->"
PG_END = "<!-- end of postgres ingest -->"
SOURCE_STATEMENTS = 629  # pgBadger's own test expects 629 statements with a duration


def build_log(path: Path, size: int) -> tuple[int, int]:
    """`light.postgres.log` repeated to at least `size` bytes; (bytes, copies)."""
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is missing: ../shared/data holds the real PostgreSQL logs")
    one = bz2.decompress(SOURCE.read_bytes())
    if not one.endswith(b"\n"):
        one += b"\n"
    copies = max(1, -(-size // len(one)))
    if not path.exists() or path.stat().st_size != copies * len(one):
        with path.open("wb") as out:
            for _ in range(copies):
                out.write(one)
    return copies * len(one), copies


def run_pgbadger(log: Path, out: Path) -> dict[str, Any]:
    """pgBadger with two jobs, JSON output (no HTML rendering), quiet."""
    out.unlink(missing_ok=True)
    result = measured(["pgbadger", "-q", "-j", "2", "-x", "json", "-o", str(out), str(log)])
    stat = json.loads(out.read_text())["overall_stat"]
    result["statements"] = int(stat.get("queries_number", 0))
    return result


def run_loglake(log: Path, root: Path) -> dict[str, Any]:
    """`loglake ingest` with every core (as `make bench` runs it for MongoDB)."""
    shutil.rmtree(root, ignore_errors=True)
    result = measured(
        [sys.executable, "-m", "loglake", "ingest", str(log), "--out", str(root), "--json", "-q"]
    )
    report = json.loads(str(result["stdout"]))
    result["statements"] = int(report["rows"]["slow_queries"])
    result["bad_lines"] = int(report["bad_lines"]["total"])
    return result


def run(size: int, repeat: int, work: Path) -> dict[str, Any]:
    """Build the log, time both tools `repeat` times (medians), and return the row."""
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"postgres-light-{size // MB}MB.log"
    nbytes, copies = build_log(log, size)
    ours = [run_loglake(log, work / "pg-lake") for _ in range(repeat)]
    theirs = [run_pgbadger(log, work / "pgbadger.json") for _ in range(repeat)]
    ours_s = statistics.median(float(r["seconds"]) for r in ours)
    theirs_s = statistics.median(float(r["seconds"]) for r in theirs)
    return {
        "size_mb": nbytes / MB,
        "copies": copies,
        "expected_statements": copies * SOURCE_STATEMENTS,
        "loglake_statements": ours[0]["statements"],
        "loglake_bad_lines": ours[0]["bad_lines"],
        "pgbadger_statements": theirs[0]["statements"],
        "loglake_s": ours_s,
        "loglake_mbps": nbytes / MB / ours_s,
        "loglake_rss_mb": max(float(r["peak_rss"]) for r in ours) / MB,
        "pgbadger_s": theirs_s,
        "pgbadger_mbps": nbytes / MB / theirs_s,
        "pgbadger_rss_mb": max(float(r["peak_rss"]) for r in theirs) / MB,
        "ratio": theirs_s / ours_s,
    }


def section(row: dict[str, Any], command: str) -> str:
    """The markdown of the result."""
    return "\n".join(
        [
            "## PostgreSQL ingest against pgBadger",
            "",
            f"- command: `{command}`",
            f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
            f"{row['load_before']:.1f} before, {row['load_after']:.1f} after "
            f"({os.cpu_count()} cores)",
            f"- input: pgBadger's fixture `light.postgres.log` repeated {row['copies']:,} times "
            f"({row['size_mb']:,.0f} MB, {row['expected_statements']:,} statements with a "
            "duration)",
            "- pgBadger 12.0: `pgbadger -q -j 2 -x json -o out.json FILE`; loglake: "
            "`loglake ingest FILE --json -q` (all cores)",
            "",
            "| tool | time | speed | peak RSS | statements |",
            "|---|---|---|---|---|",
            f"| loglake | {row['loglake_s']:.1f} s | {row['loglake_mbps']:.1f} MB/s | "
            f"{row['loglake_rss_mb']:,.0f} MB | {row['loglake_statements']:,} |",
            f"| pgBadger -j 2 | {row['pgbadger_s']:.1f} s | {row['pgbadger_mbps']:.1f} MB/s | "
            f"{row['pgbadger_rss_mb']:,.0f} MB | {row['pgbadger_statements']:,} |",
            "",
            f"Speed ratio (pgBadger time / loglake time): **{row['ratio']:.2f}x**.",
            "",
            "```json",
            json.dumps(row),
            "```",
            "",
        ]
    )


def main(argv: list[str] | None = None, command: str | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1GB", help="size of the repeated log (at least 1GB)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each tool (median)")
    ap.add_argument("--workdir", default=str(BENCH / "out"))
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    row = run(parse_size(args.size), args.repeat, Path(args.workdir))
    row["load_before"], row["load_after"] = load, os.getloadavg()[0]
    print(json.dumps(row), flush=True)
    if not args.no_write:
        cmd = command or f"python bench/postgres.py --size {args.size} --repeat {args.repeat}"
        write_section(section(row, cmd), PG_MARK, PG_END)
    return row


if __name__ == "__main__":
    main()
