"""The cold tier against the hot one: retrieval and summary latency, and archive throughput.

    python bench/tiers.py [--size 200MB] [--runs 7] [--workdir bench/out] [--no-write]

A seeded log (loglake.generate, 14 days) is ingested once; the lake is copied, and the copy
archived whole (`--older-than 1d`) to a real S3-compatible server on loopback (moto's server
mode, as in the tests). The same questions are then timed on the hot lake and on the cold
one, each on a fresh service with the result cache and precomputed answers off (median of
`--runs` after one warm-up run): a retrieval (the slow-query list of one day, a page of
100), a keyword search over a day, the dashboard summary, and one detail lookup. The
target is cold <= 3x hot. Results go to their own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))  # the S3 test server (moto's server mode)

import queries  # noqa: E402

from s3_server import running_s3_server  # noqa: E402

TIERS_MARK = "<!-- tiers: written by bench/tiers.py -->"
TIERS_END = "<!-- end of tiers -->"
MB = 1_000_000
START = "2024-03-01"
DAYS = 14


def _parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def _log(work: Path, size: int) -> Path:
    import subprocess

    path = work / f"tiers-{size // MB}MB.log"
    if not path.exists():
        cmd = [sys.executable, "-m", "loglake.generate", "--size", str(size), "--seed", "7"]
        cmd += ["--start", f"{START}T00:00:00", "--days", str(DAYS), "-o", str(path)]
        subprocess.run(cmd, check=True)
    return path


def _cases(analytics: Any, root: Path) -> dict[str, dict[str, Any]]:
    from loglake.store.status import dataset_status

    days = sorted(dataset_status(root)["streams"]["slow_queries"]["partitions"])
    day = days[len(days) // 2]  # a day in the middle of the log
    rows = analytics.ask("slow_queries", {"limit": "1", "from": f"{day}T00:00:00Z"})["rows"]
    return {
        "retrieval: slow queries of one day, page of 100": {
            "question": "slow_queries",
            "args": {"from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z", "limit": "100"},
        },
        "search: keyword over one day": {
            "question": "search",
            "args": {"q": "COLLSCAN", "from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z"},
        },
        "summary (dashboard, no precomputed answer)": {"question": "summary", "args": {}},
        "detail: one line": {
            "question": "detail",
            "args": {"file_id": rows[0]["file_id"], "file_offset": rows[0]["file_offset"]},
        },
    }


def _time(
    settings: Any, cases: dict[str, dict[str, Any]], runs: int
) -> dict[str, tuple[float, float]]:
    """Per case: the first run (nothing of the tier cached yet) and the median of the rest."""
    from loglake.analytics import search
    from loglake.analytics.service import Analytics

    out = {}
    analytics = Analytics(settings)
    for name, case in cases.items():
        spent = []
        for _ in range(runs + 1):
            search._CACHE.clear()  # a search's hits are kept between pages: time the scan
            started = time.perf_counter()
            analytics.ask(case["question"], case["args"])
            spent.append(time.perf_counter() - started)
        out[name] = (spent[0] * 1000, statistics.median(spent[1:]) * 1000)
    return out


def run(work: Path, size: int, runs: int) -> dict[str, Any]:
    from loglake.config import Settings
    from loglake.ingest.archive import archive
    from loglake.ingest.pipeline import ingest
    from loglake.store import fs as lakefs
    from loglake.store.status import dataset_status

    work.mkdir(parents=True, exist_ok=True)
    log = _log(work, size)
    hot_root, cold_root = work / "tiers-hot", work / "tiers-cold"
    shutil.rmtree(hot_root, ignore_errors=True)
    shutil.rmtree(cold_root, ignore_errors=True)
    ingest([str(log)], Settings(root=hot_root))
    shutil.copytree(hot_root, cold_root)
    with running_s3_server() as s3:
        os.environ.update(s3.env)
        lakefs._resolve.cache_clear()
        bucket = s3.new_bucket()
        started = time.perf_counter()
        done = archive(cold_root, f"s3://{bucket}/cold", "1d")
        archive_s = time.perf_counter() - started
        tiers = dataset_status(cold_root)["tiers"]
        assert tiers["hot"]["rows"] == 0, "the whole lake is cold"
        options = {"cache_entries": 0, "precomputed_answers": False}
        hot = Settings(root=hot_root, **options)
        cold = Settings(root=cold_root, **options)
        from loglake.analytics.service import Analytics

        cases = _cases(Analytics(hot), hot_root)
        hot_ms = _time(hot, cases, runs)
        cold_ms = _time(cold, cases, runs)
    return {
        "log_mb": log.stat().st_size / MB,
        "rows": done["rows"],
        "partitions": len(done["partitions"]),
        "archive_s": archive_s,
        "archive_rows_per_s": done["rows"] / archive_s,
        "archive_mb_per_s": (done["bytes_cold"] + done["raw_bytes"]) / MB / archive_s,
        "parquet_mb": done["bytes_cold"] / MB,
        "raw_mb": done["raw_bytes"] / MB,
        "runs": runs,
        "cases": [
            {
                "case": name,
                "hot_first_ms": hot_ms[name][0],
                "cold_first_ms": cold_ms[name][0],
                "hot_ms": hot_ms[name][1],
                "cold_ms": cold_ms[name][1],
            }
            for name in cases
        ],
    }


def section(r: dict[str, Any], command: str) -> str:
    lines = [
        "## Cold tier vs hot (S3 server on loopback)",
        "",
        f"Measured with `{command}` on this machine: a {r['log_mb']:,.0f} MB generated log "
        f"({r['rows']:,} rows in {r['partitions']} partitions), all of it archived to moto's "
        "S3 server on 127.0.0.1; no result cache, no precomputed answers. *First*: the "
        "first time the question is asked in the process (for the cold tier, every block it "
        "reads is fetched); *then*: the median of the next "
        f"{r['runs']} runs (cold blocks come from the block cache, `store/coldcache.py`).",
        "",
        "| question | hot first | cold first | hot then | cold then | cold / hot then |",
        "|---|---|---|---|---|---|",
    ]
    for c in r["cases"]:
        ratio = c["cold_ms"] / c["hot_ms"] if c["hot_ms"] else float("nan")
        lines.append(
            f"| {c['case']} | {c['hot_first_ms']:,.1f} ms | {c['cold_first_ms']:,.1f} ms "
            f"| {c['hot_ms']:,.1f} ms | {c['cold_ms']:,.1f} ms | {ratio:.1f}x |"
        )
    lines += [
        "",
        f"Archive: {r['archive_s']:,.1f} s for {r['rows']:,} rows "
        f"({r['archive_rows_per_s']:,.0f} rows/s; {r['parquet_mb']:,.1f} MB of Parquet and "
        f"{r['raw_mb']:,.1f} MB of compressed raw lines uploaded, read back and verified: "
        f"{r['archive_mb_per_s']:,.1f} MB/s).",
        "",
        "```json",
        json.dumps(r),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, command: str | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="200MB", help="size of the generated log")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per question and tier")
    ap.add_argument("--workdir", default=str(BENCH / "out"))
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    result = run(Path(args.workdir), _parse_size(args.size), args.runs)
    text = section(result, command or f"python bench/tiers.py --size {args.size}")
    print(text)
    if not args.no_write:
        queries.write_section(text, TIERS_MARK, TIERS_END)


if __name__ == "__main__":
    main()
