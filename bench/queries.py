"""Query latency of the analytics facade on a lake of >= 5 million slow queries.

The dataset is three seeded 3 GB mongod logs (seeds 42, 43, 44, one after another in time:
four days each from 2024-03-18) ingested into one lake: 5.45 million slow queries; the
generator has no option for the share of slow queries, so more rows means more log. Logs and
lakes are cached under the work directory and rebuilt only when the logs change (delete
bench/out/query-lake and bench/out/search-lake to measure a changed ingest).
Keyword search runs on a separate lake of the 1 GB log (seed 42), so it searches 1 GB.

Every question is asked through `Analytics(Settings(root, cache_entries=0)).ask(...)`, with
precomputed dashboard answers off except in two labelled rows: one cold call on a freshly
opened dataset (new DuckDB connection, nothing cached in-process; the OS page cache is not
dropped), then `--warm` calls with the result cache disabled, so every
call runs its queries. One cached hit (default cache) is timed separately. Results go to the
"Query latency" section of docs/benchmarks.md (the rest of the file is left as it is).

    python bench/queries.py [--warm 20] [--workdir bench/out] [--no-write]
    python bench/run.py --only queries        (the same, from `make bench`'s script)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
RESULTS = REPO / "docs" / "benchmarks.md"
MB = 1_000_000
TZ = "+00:00,-04:00,+05:30"
DEFAULT_START = "2024-03-18"
# (bytes, seed, first day): the query dataset, one log after another in time
DATASET = (
    (3_000_000_000, 42, "2024-03-18"),
    (3_000_000_000, 43, "2024-03-22"),
    (3_000_000_000, 44, "2024-03-26"),
)
SEARCH_LOG = (1_000_000_000, 42, DEFAULT_START)
MIN_SLOW_ROWS = 5_000_000
NOISY = 0.10  # a question is timed again when other processes used more of the CPUs
PATIENCE = [300.0]  # seconds to wait for a quiet machine before each question (--patience)

# doc markers: the generated query section sits between these, before the hand notes
QUERY_MARK = "<!-- query latency: written by bench/queries.py -->"
QUERY_END = "<!-- end of query latency -->"
NOTES_MARK = (
    "<!-- notes below are written by hand and kept when the results above are rewritten -->"
)

# questions over another stream than slow_queries
OTHER_STREAMS = {"auth_summary": "authentications", "connections": "connections"}
# PRODUCT.md section 3, warm p50 in ms
TARGETS = {
    "summary": 300,
    "patterns": 500,
    "slow_queries": 200,
    "detail": 20,
    "search": 1000,
}


def log_name(size: int, seed: int, start: str) -> str:
    """The file name of a generated log (bench/run.py's names for the default start)."""
    base = f"mongod-{size // MB}MB-seed{seed}"
    return f"{base}.log" if start == DEFAULT_START else f"{base}-from{start}.log"


def ensure_log(work: Path, size: int, seed: int, start: str) -> Path:
    """The generated log, written first if missing or short (same options as bench/run.py)."""
    path = work / log_name(size, seed, start)
    if not path.exists() or path.stat().st_size < size * 0.97:
        print(f"generating {path.name}", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "loglake.generate", "--size", str(size), "--seed", str(seed)]
        cmd += ["--tz", TZ, "--start", f"{start}T00:00:00", "-o", str(path)]
        cmd += ["--stats", str(path.with_suffix(".stats.json"))]
        subprocess.run(cmd, check=True)
    return path


def ensure_lake(root: Path, logs: list[Path]) -> dict[str, Any]:
    """A lake of exactly these logs, reused when built from the same files; its build info."""
    stamp_path = root / "bench-params.json"
    wanted = {"logs": [[p.name, p.stat().st_size] for p in logs]}
    if stamp_path.exists() and (root / "manifest.json").exists():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("logs") == wanted["logs"]:
            return stamp
    shutil.rmtree(root, ignore_errors=True)
    print(f"ingesting {len(logs)} log(s) into {root}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "loglake", "ingest", *map(str, logs), "--out", str(root)]
    out = subprocess.run([*cmd, "--json", "-q"], check=True, capture_output=True, text=True)
    report = json.loads(out.stdout)
    stamp = {
        **wanted,
        "rows": report.get("rows", {}),
        "ingest_s": round(time.perf_counter() - started, 1),
    }
    stamp_path.write_text(json.dumps(stamp, indent=1))
    return stamp


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


class Case:
    """One timed question: a label, the question, and its arguments for the i-th call."""

    def __init__(
        self,
        label: str,
        question: str,
        args: dict[str, Any] | Callable[[int], dict[str, Any]],
        target: int | None,
        root: Path,
        precomputed: bool = False,
        rollups: bool = True,
    ) -> None:
        self.label, self.question, self.target, self.root = label, question, target, root
        self._args = args
        # False: every call runs its queries; True: unfiltered answers written after ingest
        self.precomputed = precomputed
        self.rollups = rollups  # False: the rows are scanned even where rollups could answer

    def args(self, i: int) -> dict[str, Any]:
        return self._args(i) if callable(self._args) else dict(self._args)


def available(question: str) -> bool:
    """False for `search` while src/loglake/analytics/search.py does not exist yet."""
    if question != "search":
        return True
    try:
        import loglake.analytics.search  # noqa: F401
    except ImportError:
        return False
    return True


class OtherLoad:
    """The share of all cores that other processes used since creation (noise check)."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.t0, self.sys0, self.me0 = time.perf_counter(), self._busy(), self._mine()

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)

    def _mine(self) -> float:
        t = self.me.cpu_times()
        return t.user + t.system

    def share(self) -> float:
        other = (self._busy() - self.sys0) - (self._mine() - self.me0)
        wall = (time.perf_counter() - self.t0) * (os.cpu_count() or 1)
        return max(0.0, other / wall)


def wait_quiet(limit: float = 0.25, patience: float = 300) -> float:
    """Wait (up to `patience` s) until other processes use < `limit` of the CPUs; seconds."""
    started = time.perf_counter()
    while time.perf_counter() - started < patience:
        if psutil.cpu_percent(interval=1.0) / 100 < limit:
            break
        print("waiting for a quieter machine ...", file=sys.stderr, flush=True)
    return round(time.perf_counter() - started, 1)


def clear_inner_caches() -> None:
    """Forget what a question keeps besides the result cache (search's ordered hits)."""
    module = sys.modules.get("loglake.analytics.search")
    if module is None:
        return
    inner = getattr(module, "_CACHE", None)
    if inner is None:  # renamed: warm searches might be cache hits, so say so loudly
        print("warning: search._CACHE not found; warm searches may be cached", file=sys.stderr)
        return
    inner.clear()


def time_case(case: Case, warm: int) -> dict[str, Any]:
    """Cold call, `warm` uncached calls, one cached hit; milliseconds."""
    from loglake.analytics.service import Analytics
    from loglake.config import Settings

    row: dict[str, Any] = {"label": case.label, "question": case.question}
    if case.target is not None:
        row["target_ms"] = case.target
    if not available(case.question):
        row["status"] = "not available"
        return row
    row["waited_s"] = wait_quiet(patience=PATIENCE[0])
    gc.collect()
    busy = OtherLoad()
    options = {"precomputed_answers": case.precomputed, "rollups": case.rollups}
    an = Analytics(Settings(root=case.root, cache_entries=0, **options))
    try:
        clear_inner_caches()
        t0 = time.perf_counter()
        result = an.ask(case.question, case.args(0))
        row["cold_ms"] = (time.perf_counter() - t0) * 1000
        times = []
        for i in range(1, warm + 1):
            args = case.args(i)
            clear_inner_caches()
            t0 = time.perf_counter()
            an.ask(case.question, args)
            times.append((time.perf_counter() - t0) * 1000)
    except Exception as exc:  # noqa: BLE001 - a question being written must not stop the run
        row["status"] = f"error: {type(exc).__name__}: {str(exc)[:120]}"
        return row
    row["other_cpu"] = round(busy.share(), 3)
    row.update(
        warm=warm,
        p50_ms=statistics.median(times),
        p95_ms=percentile(times, 0.95),
        min_ms=min(times),
        max_ms=max(times),
        result=describe(case.question, result),
    )
    cached = Analytics(Settings(root=case.root, **options))
    clear_inner_caches()
    cached.ask(case.question, case.args(0))
    t0 = time.perf_counter()
    cached.ask(case.question, case.args(0))
    row["cached_ms"] = (time.perf_counter() - t0) * 1000
    if case.target is not None:
        row["status"] = "pass" if row["p50_ms"] <= case.target else "FAIL"
    else:
        row["status"] = "info"
    an.lake.close()
    cached.lake.close()
    return row


def describe(question: str, result: dict[str, Any]) -> str:
    """A few words on what a result held, so a fast empty answer is visible."""
    if question == "summary":
        return f"{result.get('count', 0):,} rows summarized"
    if question == "patterns":
        return f"{result.get('groups', 0):,} groups, {len(result.get('rows', []))} returned"
    if question in ("slow_queries", "search"):
        total = result.get("total", result.get("matches"))
        total_text = f" of {total:,}" if isinstance(total, int) else ""
        return f"{len(result.get('rows', []))} rows{total_text}"
    if question == "detail":
        return f"{result.get('stream')} row, {len(result.get('raw', ''))} B line"
    if question == "trend":
        return f"{len(result.get('series', []))} series, {len(result.get('sample', []))} sampled"
    if question == "workload":
        return f"{len(result.get('by_collection', []))} collections"
    if question == "logs":
        return f"{len(result.get('rows', []))} rows of {result.get('total', 0):,}"
    if question == "logs_aggregate":
        held = [k for k in ("groups", "facets", "histogram", "stats") if result.get(k)]
        return f"{result.get('total', 0):,} records; {', '.join(held)}"
    return "-"


def first_page_rows(root: Path) -> list[dict[str, Any]]:
    """file_id/file_offset of the rows of the default first page of slow queries."""
    from loglake.analytics.service import Analytics
    from loglake.config import Settings

    an = Analytics(Settings(root=root, cache_entries=0))
    rows = an.ask("slow_queries", {})["rows"]
    an.lake.close()
    return [{"file_id": r["file_id"], "file_offset": r["file_offset"]} for r in rows]


def event_only_rows(root: Path, n: int) -> list[dict[str, Any]]:
    """Positions of `n` lines that are only in `events` (detail's slowest lookup)."""
    from loglake.analytics.engine import Lake

    lake = Lake(root)
    cur = lake.cursor()
    found = cur.execute(
        "SELECT file_id, file_offset FROM events WHERE message = 'Sending heartbeat' "
        "ORDER BY ts DESC LIMIT ?",
        [n],
    ).fetchall()
    lake.close()
    return [{"file_id": f, "file_offset": o} for f, o in found]


def cases(root: Path, search_root: Path) -> list[Case]:
    """The questions timed, in report order."""
    page = first_page_rows(root)
    events = event_only_rows(root, len(page))

    def detail_of(rows: list[dict[str, Any]]) -> Callable[[int], dict[str, Any]]:
        return lambda i: {k: str(v) for k, v in rows[i % len(rows)].items()}

    slow_filtered = {"namespace": "shop.orders", "min_ms": "100", "sort": "duration_ms"}
    t = TARGETS
    out = [
        Case("summary", "summary", {}, t["summary"], root),
        Case("patterns (group_by=shape)", "patterns", {"group_by": "shape"}, t["patterns"], root),
        Case("slow queries, first page (ts desc, 50)", "slow_queries", {}, t["slow_queries"], root),
        Case(
            "slow queries, shop.orders >= 100 ms by duration",
            "slow_queries",
            slow_filtered,
            t["slow_queries"],
            root,
        ),
        Case(
            "detail of a slow query (first-page rows)", "detail", detail_of(page), t["detail"], root
        ),
        Case("detail of an events-only line", "detail", detail_of(events), t["detail"], root),
    ]
    # case-sensitive literals (an upper-case letter: `find`) and a case-insensitive RE2 scan
    for word, what in (
        ("UserNotFound", "7.6 k lines"),
        ("usernotfound", "any case"),
        ("COLLSCAN", "68 k lines"),
    ):
        label = f"search '{word}' over 1 GB ({what})"
        out.append(Case(label, "search", {"q": word}, t["search"], search_root))
    for question in ("trend", "workload", "auth_summary", "connections"):
        out.append(Case(f"{question} (no filters)", question, {}, None, root))
    ensure_precomputed(root)
    for question, target in (("summary", t["summary"]), ("patterns", t["patterns"])):
        label = f"{question}, answer precomputed after ingest"
        out.append(Case(label, question, {}, target, root, precomputed=True))
    return out + filtered_cases(root)


# filtered questions, each timed from the rollups and from the rows (rollups=False)
WEEK = {"from": "2024-03-20T00:00:00Z", "to": "2024-03-27T00:00:00Z"}
ONE_NS = {"namespace": "shop.orders"}
FILTERED: tuple[tuple[str, str, dict[str, Any], int | None], ...] = (
    ("summary, 7 days", "summary", WEEK, TARGETS["summary"]),
    ("summary, shop.orders", "summary", ONE_NS, TARGETS["summary"]),
    ("patterns, no filter", "patterns", {}, TARGETS["patterns"]),
    ("patterns, 7 days", "patterns", WEEK, TARGETS["patterns"]),
    ("patterns by namespace, 7 days", "patterns", {**WEEK, "group_by": "namespace"}, 500),
    ("patterns, shop.orders", "patterns", ONE_NS, TARGETS["patterns"]),
    (
        "slow queries, shop.orders >= 100 ms by duration",
        "slow_queries",
        {**ONE_NS, "min_ms": "100", "sort": "duration_ms"},
        TARGETS["slow_queries"],
    ),
    ("trend, shop.orders", "trend", ONE_NS, None),
    ("trend, 7 days", "trend", WEEK, None),
)


def filtered_cases(root: Path) -> list[Case]:
    """Each filtered question twice: answered from the rollups, then from the rows."""
    ensure_rollups(root)
    out = []
    for label, question, args, target in FILTERED:
        for rolled in (True, False):
            how = "rollups" if rolled else "rows"
            out.append(Case(f"{label} ({how})", question, args, target, root, rollups=rolled))
    return out


def ensure_rollups(root: Path) -> None:
    """Write the rollups `loglake ingest` writes, if this lake has none of its version yet."""
    from loglake.analytics.rollup_writer import update_rollups
    from loglake.store.manifest import Manifest

    started = time.perf_counter()
    index = update_rollups(Manifest.load(root))
    rows = {name: sum(p["rows"][name] for p in index["parts"]) for name in ("hourly", "durations")}
    print(
        f"rollups: {len(index['parts'])} parts, {rows} rows, "
        f"{time.perf_counter() - started:.1f} s (0 when already written)",
        file=sys.stderr,
    )


def ensure_precomputed(root: Path) -> None:
    """Write the dashboard answers `loglake ingest` writes, if this lake has none yet."""
    from loglake.analytics.precompute import answers_path, write_answers
    from loglake.analytics.service import Analytics
    from loglake.config import Settings

    analytics = Analytics(Settings(root=root))
    if not answers_path(root, str(analytics.version())).exists():
        write_answers(analytics)
    analytics.lake.close()


def code_version() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    git = ["git", "-C", str(REPO)]
    try:
        head = subprocess.check_output([*git, "rev-parse", "--short", "HEAD"], text=True)
        dirty = subprocess.check_output([*git, "status", "--porcelain", "src"], text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.strip() + (" + uncommitted changes in src/" if dirty.strip() else "")


def run(
    work: Path, warm: int, size: int | None = None, filtered_only: bool = False
) -> dict[str, Any]:
    """Build (or reuse) both lakes, time every case; the results. `size`: bytes of each of
    the three logs instead of 3 GB (a small trial run; its numbers are not the benchmark)."""
    work.mkdir(parents=True, exist_ok=True)
    dataset = [(size or s, seed, start) for s, seed, start in DATASET]
    logs = [ensure_log(work, *spec) for spec in dataset]
    lake = ensure_lake(work / "query-lake", logs)
    slow = lake["rows"].get("slow_queries", 0)
    if slow < MIN_SLOW_ROWS:
        print(f"warning: only {slow:,} slow queries (< {MIN_SLOW_ROWS:,})", file=sys.stderr)
    search_size, search_seed, search_start = SEARCH_LOG
    search_log = ensure_log(work, size or search_size, search_seed, search_start)
    search_lake = ensure_lake(work / "search-lake", [search_log])
    rows = []
    if filtered_only:
        todo = filtered_cases(work / "query-lake")
    else:
        todo = cases(work / "query-lake", work / "search-lake")
    for case in todo:
        row = time_case(case, warm)
        for attempt in range(2, 4):  # other processes took CPU while timing: measure again
            if row.get("other_cpu", 0.0) <= NOISY:
                break
            print(
                f"{case.label}: others used {row['other_cpu']:.0%} of the CPUs; again",
                file=sys.stderr,
            )
            row = {**time_case(case, warm), "attempt": attempt}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "code": code_version(),
        "warm": warm,
        "dataset": lake,
        "search_dataset": search_lake,
        "rows": rows,
    }


def ms(value: float | None) -> str:
    return "-" if value is None else (f"{value:,.1f}" if value < 100 else f"{value:,.0f}")


def section(results: dict[str, Any], command: str) -> str:
    """The "Query latency" section of docs/benchmarks.md."""
    ds, sd = results["dataset"], results["search_dataset"]
    busy = max((r.get("other_cpu", 0.0) for r in results["rows"]), default=0.0)
    slow = ds["rows"].get("slow_queries", 0)
    gb = sum(size for _, size in ds["logs"]) / 1e9
    names = ", ".join(f"`{name}`" for name, _ in ds["logs"])
    search_gb = sum(size for _, size in sd["logs"]) / 1e9
    lines = [
        "## Query latency",
        "",
        f"- command: `{command}`",
        f"- when: {results['when']}; code {results['code']}; {results['cores']} cores, "
        f"Python {results['python']}; "
        f"other processes used at most {busy:.1%} of the CPUs during any question's calls "
        f"(each question waits for a quiet machine and is timed again, up to three times, "
        f"when others used more than {NOISY:.0%})",
        f"- dataset: **{slow:,} slow queries** ({ds['rows'].get('events', 0):,} events) "
        f"from {gb:.1f} GB of generated mongod logs ({names}: seeds 42/43/44, four days "
        "each, one after another) ingested into one lake (`bench/out/query-lake`)",
        f"- search: a separate lake of the {search_gb:.1f} GB log "
        f"`{sd['logs'][0][0]}` (`bench/out/search-lake`), so a search covers 1 GB; "
        "search's own cache of ordered hits (kept for turning pages) is cleared before "
        "every timed call, so each one scans the log",
        "- each question through `Analytics(Settings(root, cache_entries=0, "
        "precomputed_answers=False)).ask(...)`: one "
        f"cold call on a freshly opened dataset, then {results['warm']} warm calls with the "
        "result cache disabled (every call runs its queries); p50/p95 are of the warm calls. "
        "The two rows marked *answer precomputed after ingest* read the unfiltered answers "
        "that `loglake ingest` writes to `summaries/answers-<version>.json` (what a dashboard "
        "opens with; any filter runs the queries as in the rows above). "
        "The cached-hit column is one call answered from the default result cache, shown only "
        "so it is not mistaken for query speed.",
        "- detail: the rows of the default first page, a different one each call (slow "
        "queries: found in the first stream looked up); events-only lines (heartbeats) are "
        "looked up in all four streams",
        "- rows marked *(rollups)* and *(rows)* ask the same filtered question twice in this "
        "run: answered from the slow-query rollups (`rollups/`, written after each commit), "
        "and with `Settings(rollups=False)`, which scans the rows",
        "- targets: PRODUCT.md section 3 (warm p50); questions without a target are for "
        "information",
        "",
        "| question | p50 ms | p95 ms | cold ms | cached hit ms | target (p50) | pass/fail | "
        "rows in dataset | answer held |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        target = f"≤ {r['target_ms']:,} ms" if "target_ms" in r else "-"
        status = {"pass": "pass", "FAIL": "**FAIL**"}.get(r["status"], r["status"])
        rows_in = f"{slow:,}"
        if r["question"] in OTHER_STREAMS:
            stream = OTHER_STREAMS[r["question"]]
            rows_in = f"{ds['rows'].get(stream, 0):,} {stream}"
        elif r["label"].startswith("detail of an events"):
            rows_in = f"{ds['rows'].get('events', 0):,} events"
        elif r["question"] == "search":
            rows_in = f"{sd['rows'].get('events', 0):,} lines, {search_gb:.1f} GB"
        lines.append(
            f"| {r['label']} | {ms(r.get('p50_ms'))} | {ms(r.get('p95_ms'))} | "
            f"{ms(r.get('cold_ms'))} | {ms(r.get('cached_ms'))} | {target} | {status} | "
            f"{rows_in} | {r.get('result', '-')} |"
        )
    lines += [
        "",
        "Raw results:",
        "",
        "```json",
        json.dumps({k: v for k, v in results.items() if k != "rows"}),
        *[json.dumps(r) for r in results["rows"]],
        "```",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str, start: str = QUERY_MARK, end: str = QUERY_END) -> None:
    """Put one marked section into docs/benchmarks.md, keeping everything else as it is."""
    doc = RESULTS.read_text() if RESULTS.exists() else NOTES_MARK + "\n"
    block = f"{start}\n{text}{end}\n\n"
    if start in doc and end in doc:
        head, rest = doc.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        doc = head + block + tail
    elif NOTES_MARK in doc:
        head, tail = doc.split(NOTES_MARK, 1)
        doc = head + block + NOTES_MARK + tail
    else:
        doc = doc.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(doc)
    print(f"wrote a section of {RESULTS}", file=sys.stderr)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """Options shared with bench/run.py."""
    ap.add_argument("--warm", type=int, default=20, help="warm (uncached) calls per question")


def main(argv: list[str] | None = None, command: str | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(ap)
    ap.add_argument("--workdir", default=str(BENCH / "out"))
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--log-bytes", type=int, help="each log's size instead of 3 GB (a trial)")
    ap.add_argument("--patience", type=float, default=PATIENCE[0], help="wait for quiet, s")
    ap.add_argument("--filtered-only", action="store_true", help="only rollups-vs-rows rows")
    args = ap.parse_args(argv)
    PATIENCE[0] = args.patience
    results = run(Path(args.workdir), args.warm, args.log_bytes, args.filtered_only)
    if not args.no_write:
        cmd = command or "python bench/queries.py" + (
            f" --warm {args.warm}" if args.warm != 20 else ""
        )
        write_section(section(results, cmd))
    return results


if __name__ == "__main__":
    main()
