"""Conformance with pgBadger 12.0 (the real `pgbadger`, run here) on the shared PostgreSQL
logs and the live log of tests/data/postgres: statement count and total duration.

pgBadger counts `statement`, `execute` and auto_explain entries with a duration (not
`parse`/`bind`, which loglake keeps as rows of their own op_type). Where pgBadger is wrong
the case says how and checks both numbers: it counts a `log_statement` line without a
duration as a query (and often hands it the duration of another line), so on logs written
with `log_statement` the counts differ by design.
"""

from __future__ import annotations

import bz2
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SHARED_DATA, TEST_DATA, IngestFn, query

COUNTED = "op_type IN ('statement', 'execute', 'plan', 'fastpath')"


@dataclass(frozen=True)
class Case:
    path: str  # under ../shared/data/postgres, or tests/data/postgres for live/
    args: tuple[str, ...] = ()  # pgBadger's options to read it
    ours: tuple[int, float] | None = None  # when pgBadger is wrong: our numbers
    theirs: tuple[int, float] | None = None  # ... and pgBadger's
    why: str = ""


CASES = [
    Case("pgbadger/light.postgres.log.bz2"),  # pgBadger's own test expects 629
    Case("pgbadger/stmt_type.log"),
    Case("pgbadger/queryid.log.gz"),
    Case("pgbadger/multiline_param.log"),
    Case(
        "pgbadger/postgresql_param_range.log", ("-p", "%t [%p]: [%l-1] [%x] usr=%u,db=%d,appli=%a ")
    ),
    Case("pgbadger/anonymize.log", ("-f", "csv")),
    Case("pgbadger/weeknumber.log", ("-f", "csv")),
    Case("dexter/queries.log", ("-p", "%t [%p-%l] %q%u@%d ")),
    Case("dexter/queries.csv", ("-f", "csv")),
    Case("dexter/queries.json", ("-f", "jsonlog")),
    Case("pgweasel/csvlog_pg12.csv"),
    Case("pgweasel/csvlog_pg13.csv"),
    Case("live/pg15-live.log"),
    Case("live/pg15-live.csv"),
    Case("live/pg15-live.json"),
    Case(
        "pgweasel/csvlog_pg14.csv",
        ours=(13, 3771.257),
        theirs=(13, 3872.358),
        why="`statement: vacuum` + `duration: 30.070 ms`: pgBadger gives the vacuum the 131.171 ms"
        " of the SELECT before it (counted twice) and drops the 30.070 ms",
    ),
    Case(
        "pgbadger/csv_statement_without_duration.log",
        ("-f", "csv"),
        ours=(1, 688786.283),
        theirs=(2, 1377572.566),
        why=(
            "a `statement:` line without a duration: pgBadger counts it with the other"
            " line's duration"
        ),
    ),
    Case(
        "pgweasel/debian_default3_pgbench.log.gz",
        ours=(108, 4940.713),
        theirs=(692, 4928.227),
        why="log_statement=all: pgBadger counts the 585 statement/execute lines (no duration) too;"
        " we count the 107 auto_explain plans (each joined to its statement) and the one"
        " statement + log_duration pair",
    ),
    Case(
        "pgweasel/csvlog2.csv",
        ours=(29, 4313.128),
        theirs=(60, 6873.85),
        why=(
            "log_statement lines without durations counted by pgBadger, durations shared among them"
        ),
    ),
    Case(
        "pgweasel/pgbench.json",
        ("-f", "jsonlog"),
        ours=(0, 0.0),
        theirs=(105, 0.0),
        why="log_statement only: statements without a duration are events, not executions",
    ),
]


def source(case: Case, tmp_path: Path) -> Path:
    if case.path.startswith("live/"):
        return TEST_DATA / "postgres" / case.path.removeprefix("live/")
    path = SHARED_DATA / "postgres" / case.path
    if not path.exists():
        pytest.skip(f"{path} not present: ../shared/data holds the real conformance logs")
    if path.suffix == ".bz2":  # loglake reads .gz; pgBadger and we read the same bytes
        plain = tmp_path / path.stem
        plain.write_bytes(bz2.decompress(path.read_bytes()))
        return plain
    return path


def pgbadger(path: Path, args: tuple[str, ...], tmp_path: Path) -> tuple[int, float]:
    """pgBadger's statement count and total duration (ms) over its normalized queries."""
    exe = shutil.which("pgbadger")
    if exe is None:
        pytest.skip("pgbadger is not installed (`make test-deps` installs pgBadger 12.0)")
    out = tmp_path / "pgbadger.json"
    subprocess.run(
        [exe, "-q", "--pid-dir", str(tmp_path), *args, "-x", "json", "-o", str(out), str(path)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    report = json.loads(out.read_text())
    queries = [q for per_db in report["normalyzed_info"].values() for q in per_db.values()]
    return sum(q["count"] for q in queries), round(sum(q["duration"] for q in queries), 3)


def ours(run_ingest: IngestFn, root: Path, path: Path) -> tuple[int, float]:
    report = run_ingest(path)
    assert report["files"][0]["format"].startswith("postgres-")
    assert report["bad_lines"]["total"] == 0
    rows = query(
        root,
        "slow_queries",
        f"SELECT count(*), round(coalesce(sum(duration_ms), 0), 3) FROM t WHERE {COUNTED}",
    )
    return rows[0] if rows else (0, 0.0)  # no slow_queries file at all: no row


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_statement_count_and_duration_match_pgbadger(
    case: Case, run_ingest: IngestFn, settings, tmp_path: Path
) -> None:
    path = source(case, tmp_path)
    got = ours(run_ingest, settings.root, path)
    theirs = pgbadger(path, case.args, tmp_path)
    if case.ours is None:
        assert got == theirs
    else:  # pgBadger is wrong here (see `why`): both numbers are pinned
        assert (got, theirs) == (case.ours, case.theirs), case.why


def test_light_log_gives_629_statements(run_ingest: IngestFn, settings, tmp_path: Path) -> None:
    path = source(CASES[0], tmp_path)
    assert ours(run_ingest, settings.root, path) == (629, 8654.84)


def test_cloudnativepg_json(run_ingest: IngestFn, settings) -> None:
    path = SHARED_DATA / "postgres" / "pgbadger" / "cnpg.log.gz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    # pgBadger's own test expects 400 statements; pgBadger 12.0 here cannot detect the format
    assert ours(run_ingest, settings.root, path) == (400, 2370.85)
    auth = query(settings.root, "authentications", "SELECT result, count(*) FROM t GROUP BY 1")
    assert auth and all(result == "success" for result, _n in auth)


def test_jsonlog_autovacuum(run_ingest: IngestFn, settings) -> None:
    path = SHARED_DATA / "postgres" / "pgbadger" / "pg_vacuums.json.gz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    run_ingest(path)
    rows = query(
        settings.root,
        "events",
        "SELECT json_extract_string(attrs, '$.kind') k, count(*), count(json_extract(attrs,"
        " '$.elapsed_s')) FROM t GROUP BY 1 ORDER BY 1",
    )
    kinds = {k: (n, timed) for k, n, timed in rows}
    assert kinds["autovacuum"][0] > 0 and kinds["autovacuum"] == (kinds["autovacuum"][0],) * 2
    assert kinds["autoanalyze"][0] > 0 and kinds["autoanalyze"][1] == kinds["autoanalyze"][0]


def test_ranges_cut_anywhere_count_every_statement_once(
    run_ingest: IngestFn, settings, tmp_path: Path
) -> None:
    path = source(CASES[0], tmp_path)
    report = run_ingest(path, range_bytes=4096, workers=2)
    assert report["bad_lines"]["total"] == 0
    ((count, total),) = query(
        settings.root, "slow_queries", "SELECT count(*), round(sum(duration_ms), 3) FROM t"
    )
    assert (count, total) == (629, 8654.84)


@pytest.mark.parametrize("name", ["pg15-live.log", "pg15-live.csv", "pg15-live.json"])
def test_multiline_records_split_into_tiny_ranges_count_once(
    name: str, run_ingest: IngestFn, settings
) -> None:
    path = TEST_DATA / "postgres" / name
    report = run_ingest(path, range_bytes=1024, workers=2)
    assert report["bad_lines"]["total"] == 0
    assert report["rows"]["events"] == 108  # the live log's entries (test_pg_formats)
    ((count, total),) = query(
        settings.root, "slow_queries", "SELECT count(*), round(sum(duration_ms), 3) FROM t"
    )
    assert (count, total) == (40, 8876.138)


def test_log_statement_files_are_not_split(run_ingest: IngestFn, settings, tmp_path: Path) -> None:
    log = tmp_path / "pairs.log"
    lines = []
    for n in range(2000):  # statement and its log_duration line, far enough apart to be cut
        lines.append(f"2024-03-01 10:00:{n % 60:02d}.000 UTC [{n % 7}] LOG:  statement: SELECT {n}")
        lines.append(f"2024-03-01 10:00:{n % 60:02d}.500 UTC [{n % 7}] LOG:  duration: 1.000 ms")
    log.write_text("\n".join(lines) + "\n")
    run_ingest(log, range_bytes=4096, workers=2)
    ((count, total, texts),) = query(
        settings.root, "slow_queries", "SELECT count(*), sum(duration_ms), count(statement) FROM t"
    )
    assert (count, total, texts) == (2000, 2000.0, 2000)
