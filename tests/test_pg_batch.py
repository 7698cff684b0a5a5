"""PostgreSQL stderr: the batch (Arrow) path and the per-record parser give the same rows."""

from __future__ import annotations

import bz2
from pathlib import Path

import pytest

from conftest import SHARED_DATA, TEST_DATA
from loglake.formats.base import FileContext
from loglake.formats.postgres.stderr_batch import StderrBatchParser
from loglake.schema import Stream
from test_parity import assert_same_rows, both_ways

PGBADGER = "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "
HEAD = (
    "2024-05-06 10:00:{s:02d} UTC [{pid}]: [{n}-1] user={user},db={db},app={app},client={client} "
)
LONG_SQL = "SELECT '" + "é" * 5000 + "' FROM accounts WHERE id = 1;"


def line(
    s: int, message: str, *, pid: object = 41, user: str = "alice", db: str = "shop",
    app: str = "api", client: str = "10.0.0.7",
) -> str:  # fmt: skip
    return HEAD.format(s=s, pid=pid, n=s + 1, user=user, db=db, app=app, client=client) + message


def edge_log() -> str:
    """Lines the Arrow path must take, pass on, or hand over, with known outcomes."""
    stmt = "LOG:  duration: {ms} ms  statement: {sql}"
    lines = [
        line(0, stmt.format(ms="1.5", sql="SELECT * FROM orders WHERE id = 7;")),
        line(1, stmt.format(ms="2", sql="UPDATE users SET x = 1 WHERE id = 2;"), app='say "hi"'),
        line(2, stmt.format(ms="3.25", sql="SELECT 1;"), app="café ☕", user="[unknown]", db=""),
        line(3, stmt.format(ms="4", sql=LONG_SQL)),
        line(4, stmt.format(ms="5", sql="SELECT 'duration: 9 ms  statement: x' FROM t;")),
        line(5, stmt.format(ms="6", sql="SELECT a,\n\tb FROM multi_line WHERE c = 3;")),
        line(6, stmt.format(ms="7", sql="SELECT * FROM orders WHERE id = $1;"))
        + "\n"
        + line(6, "DETAIL:  parameters: $1 = '5'"),
        line(7, stmt.format(ms="8", sql="")),
        line(8, stmt.format(ms="9", sql="SELECT 2;"), pid=99999999999999999999999),
        line(9, stmt.format(ms="10", sql="SELECT\t3 FROM tabs;"), app="back\\slash"),
        line(10, "LOG:  connection received: host=10.0.0.7 port=5000"),
        line(11, 'ERROR:  relation "nope" does not exist at character 15')
        + "\n"
        + line(11, "STATEMENT:  SELECT * FROM nope;"),
        "2024-13-45 10:00:12 UTC [41]: [13-1] user=a,db=b,app=c,client=d "
        + stmt.format(ms="1", sql="SELECT 4;"),
        line(13, stmt.format(ms="11", sql="SELECT 5;")) + "\r",
    ]
    return "\n".join(lines) + "\n"


def test_the_arrow_path_takes_the_common_entries_and_hands_over_the_rest() -> None:
    records = [(n * 1000, ln.encode(), len(ln)) for n, ln in enumerate(edge_log().split("\n")[:5])]
    got = StderrBatchParser(FileContext(file_id="x", path="x")).parse(records)
    taken = {r["file_offset"] for r in got.tables[Stream.EVENTS].to_pylist()}
    assert taken == {r["file_offset"] for r in got.tables[Stream.SLOW_QUERIES].to_pylist()}
    assert taken == {0, 2000, 3000, 4000}
    assert sorted({row["file_offset"] for _s, row in got.rows}) == [1000]  # a quote in app


@pytest.mark.parametrize("tail", ["", "statement", "prefix"])
def test_parity_on_hand_made_lines(tmp_path: Path, tail: str) -> None:
    text = edge_log() * 3
    if tail == "statement":  # a log_statement line: its file is read per record from there
        text += line(20, "LOG:  statement: SELECT 6;") + "\n" + line(21, "LOG:  duration: 1 ms\n")
    if tail == "prefix":  # another prefix from here on: the reader reorders its prefixes
        text += "2024-05-06 10:00:30.123 UTC [55] LOG:  duration: 1.0 ms  statement: SELECT 7;\n"
    text += "".join(
        line(s % 60, f"LOG:  duration: {s}.5 ms  statement: SELECT {s} FROM t{s % 7};") + "\n"
        for s in range(3000)
    )
    log = tmp_path / "edge.log"
    log.write_bytes(text.encode() + b"2024-05-06 10:01:00 UTC [41]: \xff\xfe broken\n")
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert report_fast["rows"]["slow_queries"] > 3000
    assert_same_rows(fast, slow)


def _real_logs() -> list[Path]:
    found = [TEST_DATA / "postgres" / "pg15-live.log"]
    for folder in ("pgbadger", "dexter", "pgweasel"):
        found += sorted((SHARED_DATA / "postgres" / folder).glob("*.log*"))
    return found


@pytest.mark.parametrize("log", _real_logs(), ids=lambda p: p.name)
def test_parity_on_real_logs(tmp_path: Path, log: Path) -> None:
    if not log.exists():
        pytest.skip(f"{log} not present: ../shared/data holds the real conformance logs")
    if log.suffix == ".bz2":  # repeated: enough lines for several ranges and batches
        plain = tmp_path / log.stem
        plain.write_bytes(bz2.decompress(log.read_bytes()) * 40)
        log = plain
    fast, slow, report_fast, report_slow = both_ways(tmp_path, log)
    assert report_fast["rows"] == report_slow["rows"]
    assert report_fast["bad_lines"] == report_slow["bad_lines"]
    assert_same_rows(fast, slow)
