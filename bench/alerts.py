"""Alert evaluation overhead: the same generated log ingested with 0 and with 20 rules.

Writes a seeded application log (JSON lines: ts, level, host, user, msg, duration_ms; error
bursts, a quiet host, a slow stretch, late users) and a rules file of 20 rules of every
kind (count, spike, flatline, aggregate avg/p95/max/min/sum, new_term; group_by host/user;
`for`, cooldown; keyword and regex filters), then times `loglake ingest FILE -q --json
--workers N [--alerts rules.yaml]` in its own process into a fresh lake, the two cases
alternating, R rounds each. The median wall times and their ratio (with how many alerts the
20 rules logged) go to the "Alert evaluation overhead" section of docs/benchmarks.md.

    python bench/alerts.py [--lines 300000] [--rounds 3] [--workers 1] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from queries import write_section

MARK = "<!-- alerts overhead: written by bench/alerts.py -->"
END = "<!-- end of alerts overhead -->"
HOSTS = tuple(f"web{i}" for i in range(1, 9))
START = datetime(2024, 5, 1, tzinfo=UTC)


def write_log(path: Path, lines: int, seed: int = 15) -> None:
    """`lines` JSON records over time (about 20 a second), in time order."""
    rng = random.Random(seed)
    t = START
    with path.open("w") as f:
        for i in range(lines):
            t += timedelta(milliseconds=rng.randint(1, 100))
            minute = int((t - START).total_seconds() // 60)
            host = rng.choice(HOSTS if minute % 90 > 10 else HOSTS[:-1])  # web8 goes quiet
            burst = minute % 37 == 0
            level = (
                "error"
                if burst and rng.random() < 0.5
                else rng.choices(["info", "warn", "error"], [85, 10, 5])[0]
            )
            slow = minute % 53 < 3
            users = ["ann", "bob", "cy"] + (["dee", "eve"] if i > lines // 2 else [])
            msg = (
                "upstream failed"
                if burst and level == "error"
                else rng.choices(
                    ["request done", "upstream failed", "timeout talking to db", "cache miss"],
                    [90, 3, 2, 5],
                )[0]
            )
            record = {
                "ts": t.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": level,
                "host": host,
                "user": rng.choice(users),
                "msg": msg,
                "duration_ms": rng.randint(400, 3000) if slow else rng.randint(5, 300),
            }
            f.write(json.dumps(record) + "\n")


def rule(name: str, condition: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": name, "condition": condition, "severity": "high", **more}


RULES = [
    rule("errors-host", {"type": "count", "threshold": 60, "window": "60s"},
         filters={"level": "error"}, group_by="host"),
    rule("errors-all", {"type": "count", "threshold": 300, "window": "60s"},
         filters={"level": "error"}),
    rule("warns-host", {"type": "count", "threshold": 30, "window": "60s"},
         filters={"level": "warn"}, group_by="host"),
    rule("errors-user", {"type": "count", "threshold": 120, "window": "5m"},
         filters={"level": "error"}, group_by="user"),
    rule("error-spike", {"type": "spike", "factor": 3, "min_count": 50, "window": "2m"},
         filters={"level": "error"}),
    rule("traffic-spike", {"type": "spike", "factor": 2, "min_count": 100, "window": "1m"},
         group_by="host"),
    rule("host-quiet", {"type": "flatline", "window": "2m"}, group_by="host"),
    rule("errors-quiet", {"type": "flatline", "window": "10m"}, filters={"level": "error"}),
    rule("slow-avg", {"type": "aggregate", "function": "avg", "field": "duration_ms",
                      "threshold": 500, "window": "1m", "min_count": 10}, group_by="host"),
    rule("slow-p95", {"type": "aggregate", "function": "p95", "field": "duration_ms",
                      "threshold": 1500, "window": "5m", "min_count": 20}),
    rule("slow-max", {"type": "aggregate", "function": "max", "field": "duration_ms",
                      "threshold": 2900, "window": "1m"}, group_by="host"),
    rule("fast-min", {"type": "aggregate", "function": "min", "field": "duration_ms",
                      "threshold": 300, "window": "30s"}, group_by="host"),
    rule("busy-sum", {"type": "aggregate", "function": "sum", "field": "duration_ms",
                      "threshold": 400000, "window": "1m"}),
    rule("timeouts", {"type": "count", "threshold": 40, "window": "60s"},
         filters={"keyword": "timeout"}),
    rule("upstream-regex", {"type": "count", "threshold": 40, "window": "60s"},
         filters={"keyword": "^upstream", "regex": True}, group_by="host"),
    rule("bob-errors", {"type": "count", "threshold": 30, "window": "5m"},
         filters={"level": "error", "user": "bob"}),
    rule("new-user", {"type": "new_term", "field": "user", "window": "1m", "learn": "1h"}),
    rule("new-user-host", {"type": "new_term", "field": "user", "window": "1m",
                           "learn": "1h"}, group_by="host"),
    rule("errors-held", {"type": "count", "threshold": 40, "window": "30s"},
         filters={"level": "error"}, **{"for": "20s", "cooldown": "10m"}),
    rule("info-flood", {"type": "count", "threshold": 700, "window": "60s"},
         filters={"level": "info"}),
]  # fmt: skip


def ingest(log: Path, lake: Path, workers: int, rules: Path | None) -> tuple[float, float, float]:
    """One `loglake ingest` in its own process: (wall seconds, CPU seconds of the process
    and its workers, the report's seconds)."""
    command = [sys.executable, "-m", "loglake", "ingest", str(log), "--data", str(lake)]
    command += ["-q", "--json", "--workers", str(workers)]
    command += ["--alerts", str(rules)] if rules else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, float(json.loads(done.stdout.splitlines()[-1])["seconds"])


def alerts_logged(lake: Path) -> int:
    folder = lake / "alerts" / "log"
    lines = (line for f in folder.glob("*.jsonl") for line in f.read_text().splitlines())
    return sum(1 for line in lines if json.loads(line).get("kind") == "alert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="loglake-alerts-bench-"))
    try:
        log, rules = work / "app.jsonl", work / "rules.yaml"
        write_log(log, args.lines)
        rules.write_text(yaml.safe_dump({"rules": RULES}, sort_keys=False))
        times: dict[int, list[float]] = {0: [], len(RULES): []}
        cpus: dict[int, list[float]] = {0: [], len(RULES): []}
        inner: dict[int, list[float]] = {0: [], len(RULES): []}
        fired = 0
        for n in range(args.rounds):
            for count, walls in times.items():
                lake = work / f"lake-{count}-{n}"
                wall, cpu, seconds = ingest(log, lake, args.workers, rules if count else None)
                walls.append(wall)
                cpus[count].append(cpu)
                inner[count].append(seconds)
                if count:
                    fired = alerts_logged(lake)
                shutil.rmtree(lake)
                print(
                    f"round {n + 1}: {count} rules {wall:.2f} s, CPU {cpu:.2f} s", file=sys.stderr
                )
        base, with_rules = (statistics.median(times[c]) for c in times)
        cpu0, cpu20 = (statistics.median(cpus[c]) for c in cpus)
        result = {
            "lines": args.lines, "rounds": args.rounds, "workers": args.workers,
            "rules": len(RULES), "cpu_s_0": round(cpu0, 3), "cpu_s_20": round(cpu20, 3),
            "cpu_ratio": round(cpu20 / cpu0, 3), "wall_s_0": round(base, 3),
            "wall_s_20": round(with_rules, 3), "wall_ratio": round(with_rules / base, 3),
            "ingest_s_0": round(statistics.median(inner[0]), 3),
            "ingest_s_20": round(statistics.median(inner[len(RULES)]), 3),
            "alerts_logged": fired,
            "all_wall_s": {str(c): [round(t, 3) for t in v] for c, v in times.items()},
            "all_cpu_s": {str(c): [round(t, 3) for t in v] for c, v in cpus.items()},
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }  # fmt: skip
        print(json.dumps(result))
        if not args.no_write:
            write_section(_section(args, result), MARK, END)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _section(args: argparse.Namespace, r: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = f"python bench/alerts.py --lines {args.lines} --rounds {args.rounds}"
    command += f" --workers {args.workers}"
    return (
        "## Alert evaluation overhead\n\n"
        f"- command: `{command}`; when: {when}; 2 cores; 1-minute load average "
        f"{r['load_avg_1m']} at the end (the benchmark's own ingests included: no other "
        "work should run)\n"
        f"- `loglake ingest` of one generated JSON-lines log ({r['lines']:,} records) into a "
        f"fresh lake, alone and with {r['rules']} rules of every kind (`--alerts`), "
        f"alternating, {r['rounds']} rounds each; medians. CPU is the ingest process's user + "
        "system time (what the rules cost, less disturbed by the other work on the machine "
        "than the wall time)\n\n"
        "| rules | CPU s | wall s | ingest report s | alerts logged |\n"
        "|---|---|---|---|---|\n"
        f"| 0 | {r['cpu_s_0']} | {r['wall_s_0']} | {r['ingest_s_0']} | 0 |\n"
        f"| {r['rules']} | {r['cpu_s_20']} | {r['wall_s_20']} | {r['ingest_s_20']} | "
        f"{r['alerts_logged']} |\n\n"
        f"Overhead of {r['rules']} rules: CPU x{r['cpu_ratio']} "
        f"({(r['cpu_ratio'] - 1) * 100:+.1f} %), wall x{r['wall_ratio']} "
        f"({(r['wall_ratio'] - 1) * 100:+.1f} %).\n\n"
        f"```json\n{json.dumps(r)}\n```\n"
    )


if __name__ == "__main__":
    main()
