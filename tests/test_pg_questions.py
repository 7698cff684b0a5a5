"""The PostgreSQL questions on a real log, against pgBadger 12.0 run on the same file.

`light.postgres.log` is pgBadger's own fixture (../shared/data/postgres/pgbadger): 629
statements with a duration in 7 normalized queries. The top-queries answer must give
pgBadger's statement count, total duration and, per normalized query, its count and time.
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import shared
from loglake.analytics.service import Analytics
from loglake.config import Settings
from loglake.ingest.pipeline import ingest


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from loglake.formats.registry import format_names

    if "postgres" not in format_names():
        pytest.skip("the PostgreSQL formats are not in this build yet (branch pg-formats)")
    source = shared("postgres", "pgbadger", "light.postgres.log.bz2")
    path = tmp_path_factory.mktemp("light") / "light.postgres.log"
    path.write_bytes(bz2.decompress(source.read_bytes()))
    return path


@pytest.fixture(scope="module")
def pgbadger(light: Path) -> dict[str, Any]:
    """pgBadger's own JSON report of the file."""
    if shutil.which("pgbadger") is None:
        pytest.skip("pgbadger is not installed (`make test-deps` installs Debian's 12.0)")
    out = light.with_suffix(".json")
    subprocess.run(
        ["pgbadger", "-q", "-x", "json", "-o", str(out), str(light)], check=True, timeout=300
    )
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@pytest.fixture(scope="module")
def answers(light: Path, tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    settings = Settings(root=tmp_path_factory.mktemp("lake") / "lake", workers=2)
    ingest([str(light)], settings)
    return Analytics(settings)


def test_top_queries_are_pgbadger_s(answers: Analytics, pgbadger: dict[str, Any]) -> None:
    stat = pgbadger["overall_stat"]
    normalized = pgbadger["normalyzed_info"]["postgres"]
    top = answers.ask("top_queries", {"limit": "100"})
    assert top["count"] == stat["queries_number"] == 629
    assert top["total_ms"] == pytest.approx(stat["postgres"]["queries_duration"]["execute"])
    assert top["normalized"] == len(normalized) == 7
    ours = sorted((r["count"], round(r["total_ms"], 3)) for r in top["rows"])
    theirs = sorted((q["count"], round(q["duration"], 3)) for q in normalized.values())
    assert ours == theirs
    slowest = max(top["rows"], key=lambda r: r["max_ms"])
    assert f"duration: {slowest['max_ms']:.3f} ms" in slowest["example"]


def test_the_hours_add_up_to_the_statements(answers: Analytics) -> None:
    hours = answers.ask("time_per_hour", {})["hours"]
    assert sum(h["count"] for h in hours) == 629
    assert [h["hour"] for h in hours] == ["2017-09-06T08:00:00Z", "2017-09-06T09:00:00Z"]
    top = answers.ask("top_queries", {})
    assert sum(h["total_ms"] for h in hours) == pytest.approx(top["total_ms"])


def test_no_error_where_pgbadger_counts_a_log_message(
    answers: Analytics, pgbadger: dict[str, Any]
) -> None:
    # pgBadger's one "error" is `LOG: database system was shut down at …`: not an error
    assert pgbadger["overall_stat"]["errors_number"] == 1
    assert answers.ask("errors", {})["total"] == 0


# --- autovacuum: pg_vacuums.json.gz (a PostgreSQL 15 jsonlog of 2,094 vacuums) -------------


@pytest.fixture(scope="module")
def vacuums(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Analytics]:
    from loglake.formats.registry import format_names

    if "postgres" not in format_names():
        pytest.skip("the PostgreSQL formats are not in this build yet (branch pg-formats)")
    source = shared("postgres", "pgbadger", "pg_vacuums.json.gz")
    settings = Settings(root=tmp_path_factory.mktemp("vacuum") / "lake", workers=2)
    ingest([str(source)], settings)
    return source, Analytics(settings)


def test_autovacuum_per_table_is_pgbadger_s(vacuums: tuple[Path, Analytics]) -> None:
    source, answers = vacuums
    if shutil.which("pgbadger") is None:
        pytest.skip("pgbadger is not installed (`make test-deps` installs Debian's 12.0)")
    out = Path(str(answers.settings.root)).parent / "pgbadger.json"
    subprocess.run(
        ["pgbadger", "-q", "-x", "json", "-o", str(out), str(source)], check=True, timeout=300
    )
    report = json.loads(out.read_text())
    vacuumed = report["autovacuum_info"]["postgres"]["tables"]
    analyzed = report["autoanalyze_info"]["postgres"]["tables"]
    ours = answers.ask("autovacuum", {"limit": "1000"})
    assert ours["vacuums"] == report["autovacuum_info"]["postgres"]["count"] == 2094
    assert ours["analyzes"] == sum(t["analyzes"] for t in analyzed.values())
    assert {r["table"]: r["vacuums"] for r in ours["rows"] if r["vacuums"]} == {
        table: t["vacuums"] for table, t in vacuumed.items()
    }
    assert {r["table"]: r["analyzes"] for r in ours["rows"] if r["analyzes"]} == {
        table: t["analyzes"] for table, t in analyzed.items()
    }


def test_autovacuum_tuples_removed_are_the_logged_ones(vacuums: tuple[Path, Analytics]) -> None:
    # pgBadger 12.0 reads 0 tuples removed from these PostgreSQL 15 messages; the log says more
    source, answers = vacuums
    removed: dict[str, int] = {}
    for line in gzip.decompress(source.read_bytes()).splitlines():
        message = json.loads(line)["message"]
        found = re.match(r'automatic (?:aggressive )?vacuum of table "([^"]+)"', message)
        if found:
            tuples = re.search(r"tuples: (\d+) removed", message)
            assert tuples, message
            removed[found[1]] = removed.get(found[1], 0) + int(tuples[1])
    ours = answers.ask("autovacuum", {"limit": "1000"})["rows"]
    assert {r["table"]: r["tuples_removed"] for r in ours if r["vacuums"]} == removed
    assert sum(removed.values()) > 0
