"""`loglake patterns`, `query` and `search`: thin checks that they call the service layer."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import Runner, shared
from loglake.config import Settings


@pytest.fixture(scope="module")
def lake_logs() -> list[Path]:
    """One real replica-set member log (440 slow queries)."""
    return [shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz")]


@pytest.fixture(scope="module")
def root(lake: Settings) -> str:
    """The lake's root, as the commands take it."""
    return str(lake.root)


def test_patterns_json_counts_every_slow_query(root: str, runner: Runner) -> None:
    result = runner.run(
        "patterns", "--data", root, "--group-by", "namespace", "--limit", "100", "--json"
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert sum(r["count"] for r in rows) == 440


def test_patterns_table_and_bad_option(root: str, runner: Runner) -> None:
    result = runner.run("patterns", "--data", root, "--limit", "3")
    assert result.exit_code == 0
    # piped (as under the test runner): a header and tab-separated rows, nothing wrapped
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [
        "namespace", "op", "pattern", "count", "mean ms", "p95 ms", "max ms", "total s", "plans"
    ]  # fmt: skip
    assert len(lines) == 4 and all(len(line.split("\t")) == 9 for line in lines)
    bad = runner.run("patterns", "--data", root, "--sort", "nonsense")
    assert bad.exit_code == 1
    assert "Error: sort: 'nonsense' is not one of" in bad.stderr


def test_query_formats_and_errors(root: str, runner: Runner) -> None:
    sql = "SELECT count(*) AS n FROM slow_queries"
    as_json = runner.run("query", sql, "--data", root, "--format", "json")
    assert json.loads(as_json.stdout) == [{"n": 440}]
    as_csv = runner.run("query", sql, "--data", root, "--format", "csv")
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["n"], ["440"]]
    table = runner.run("query", "SELECT op, count(*) FROM slow_queries GROUP BY 1", "--data", root)
    assert table.exit_code == 0 and "op" in table.stdout
    bad = runner.run("query", "SELEC nothing", "--data", root)
    assert bad.exit_code == 1 and "SQL error" in bad.stderr


def test_commands_need_a_dataset(tmp_path: Path, runner: Runner) -> None:
    result = runner.run("patterns", "--data", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert "no dataset" in result.stderr


def test_search_counts_matching_lines(root: str, runner: Runner) -> None:
    from conftest import read_source

    lines = read_source(shared("mongodb", "json", "hatchet-6.0.14-rs3.log.gz")).split(b"\n")
    expected = sum(b"Slow query" in line for line in lines)
    result = runner.run("search", "Slow query", "--data", root, "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == expected > 0
    regex = runner.run("search", "Slow (query)+", "--regex", "--data", root, "--json")
    assert json.loads(regex.stdout)["total"] == expected
    text = runner.run("search", "Slow query", "--data", root, "--limit", "1")
    assert f"of {expected:,} matching lines" in text.stderr
