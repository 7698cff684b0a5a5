"""`loglake logs`: the same answers as the API, tab-separated when piped, terminal-wide on a TTY.

Thin checks (the numbers are tested in test_logs_api.py) over the seeded two-server corpus.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import Runner
from loglake.analytics.service import Analytics
from loglake.config import Settings
from logs_corpus import Record, truth, write_corpus

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two servers' seeded logs."""
    return write_corpus(tmp_path_factory.mktemp("corpus"), lines_per_host=600)


@pytest.fixture(scope="module")
def records(lake_logs: list[Path]) -> list[Record]:
    """The truth, read from the raw files."""
    return truth(lake_logs)


def test_json_is_the_services_answer(lake: Settings, analytics: Analytics, runner: Runner) -> None:
    args = ["--user", "alice", "--min-level", "INFO", "--limit", "7"]
    result = runner.run("logs", "--data", str(lake.root), *args, "--json")
    assert result.exit_code == 0, result.output
    expected = analytics.ask("logs", {"user": "alice", "min_level": "INFO", "limit": "7"})
    assert json.loads(result.stdout) == expected
    agg = runner.run("logs", "--data", str(lake.root), "--group-by", "level", "--json")
    assert json.loads(agg.stdout) == analytics.ask("logs_aggregate", {"group_by": "level"})


def test_piped_rows_are_tab_separated(
    lake: Settings, runner: Runner, records: list[Record]
) -> None:
    result = runner.run("logs", "--data", str(lake.root), "--keyword", "timeout", "--limit", "20")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["ts", "level", "source", "user", "message"]
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 20 and all(len(r) == 5 for r in rows)
    assert all("timeout" in r[4].lower() for r in rows)
    total = sum("timeout" in r.message.lower() for r in records)
    assert f"20 shown of {total:,} records; next page: --cursor " in result.stderr
    cursor = result.stderr.rsplit("--cursor ", 1)[1].strip()
    nxt = runner.run("logs", "--data", str(lake.root), "--keyword", "timeout", "--cursor", cursor)
    assert nxt.stdout.splitlines()[1] not in lines  # the next page starts after this one


def test_piped_counts_are_plain_numbers(
    lake: Settings, runner: Runner, records: list[Record]
) -> None:
    result = runner.run("logs", "--data", str(lake.root), "--group-by", "level", "--limit", "10")
    lines = result.stdout.splitlines()
    assert lines[0] == "level\tcount"
    counts = {k: int(v) for k, v in (line.split("\t") for line in lines[1:])}
    assert counts == Counter(r.level for r in records)
    stats = runner.run("logs", "--data", str(lake.root), "--stats", "duration_ms")
    head, row = stats.stdout.splitlines()[-2:]
    assert head.split("\t") == ["field", "count", "avg", "min", "p50", "p95", "max"]
    durations = [r.duration_ms for r in records if r.duration_ms is not None]
    assert row.split("\t")[1] == str(len(durations))
    assert float(row.split("\t")[6]) == max(durations)


def test_times_are_shown_in_the_chosen_zone(lake: Settings, runner: Runner) -> None:
    utc = runner.run("logs", "--data", str(lake.root), "--limit", "1")
    india = runner.run("logs", "--data", str(lake.root), "--limit", "1", "--tz", "Asia/Kolkata")
    assert utc.stdout.splitlines()[1].split("\t")[0].endswith("+00:00")
    assert india.stdout.splitlines()[1].split("\t")[0].endswith("+05:30")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--field", "nonsense"], "expected NAME=VALUE"),
        (["--cursor", "xyz"], "cursor"),
        (["--group-by", "planet"], "not a field"),
        (["--tz", "Nowhere/City"], "time zone"),
    ],
)
def test_bad_options_are_one_line_errors(
    lake: Settings, runner: Runner, args: list[str], message: str
) -> None:
    result = runner.run("logs", "--data", str(lake.root), *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr


def _on_a_terminal(args: list[str], columns: int) -> list[str]:
    """stdout of `loglake ARGS` on a pseudo-terminal `columns` wide, colours removed."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    try:
        subprocess.run(
            [sys.executable, "-m", "loglake", *args],
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=120,
            check=True,
        )
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r", "").splitlines()


@pytest.mark.parametrize(
    ("command", "records", "columns", "folded"),
    [
        (["logs", "--limit", "15"], 15, 180, False),  # wide enough: one line per record
        (["logs", "--limit", "15"], 15, 70, True),  # narrow: messages fold to fit
        (["patterns"], 1, 100, True),  # the corpus's one slow-query shape folds to fit
    ],
)
def test_a_terminal_table_uses_the_terminal_width(
    lake: Settings, command: list[str], records: int, columns: int, folded: bool
) -> None:
    lines = _on_a_terminal([*command, "--data", str(lake.root)], columns)
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert table, lines
    widest = max(len(line) for line in table)
    rows = [line for line in table if line.startswith("│")]
    if folded:  # the table takes the whole width, and no more
        assert widest == columns and len(rows) > records
    else:
        assert widest <= columns and len(rows) == records
