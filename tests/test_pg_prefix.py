"""log_line_prefix escapes -> matchers: the known prefixes, `--prefix`, and the errors that
name the part of a prefix that failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import IngestFn, Runner, query
from loglake.errors import InputError
from loglake.formats.postgres.prefix import GENERIC, compile_prefix, detect, diagnose, middle_fields

LINE = "2024-03-01 10:00:00.123 UTC [4913] app@shop LOG:  duration: 1.5 ms  statement: SELECT 1"


def test_escapes_become_named_fields() -> None:
    prefix = compile_prefix("%m [%p] %q%u@%d ")
    m = prefix.match(LINE)
    assert m is not None
    assert (m["ts"], m["pid"], m["user"], m["db"], m["severity"]) == (
        "2024-03-01 10:00:00.123 UTC", "4913", "app", "shop", "LOG"
    )  # fmt: skip
    assert prefix.message(m) == "duration: 1.5 ms  statement: SELECT 1"
    # %q: a process without a session writes only what comes before it
    m = prefix.match("2024-03-01 10:00:00.123 UTC [77] LOG:  checkpoint starting: time")
    assert m is not None and m["pid"] == "77" and m["user"] is None


def test_every_escape_compiles() -> None:
    text = "%a %u %d %r %h %L %b %p %P %t %m %n %i %e %c %l %s %v %x %Q %% "
    line = (
        "psql app shop 10.0.0.1(5432) 10.0.0.1 10.0.0.2 client backend 42 7 "
        "2024-03-01 10:00:00 UTC 2024-03-01 10:00:00.123 UTC 1709287200.123 SELECT 57014 "
        "65e1a7c0.309 3 2024-03-01 09:00:00 UTC 3/12 731 -123 % ERROR:  canceling statement"
    )
    m = compile_prefix(text).match(line)
    assert m is not None
    assert (m["remote"], m["backend"], m["sqlstate"], m["session_id"], m["query_id"]) == (
        "10.0.0.1(5432)", "client backend", "57014", "65e1a7c0.309", "-123"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[%p] %u@%d ", "no timestamp escape found (%t, %m or %n)"),
        ("%m %z ", "unknown escape %z at position 3"),
        ("%m [%p] %", "a lone % at its end"),
    ],
)
def test_bad_prefixes_are_refused_naming_the_part(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_prefix(text)


def test_diagnose_names_where_a_prefix_stops_matching() -> None:
    assert diagnose("%m [%p] %u:%d ", LINE) == "':' after '%u' does not match (prefix position 7)"
    assert diagnose("%m [%p] %u@%d ", LINE).startswith("the prefix matches")


def test_detect_orders_the_known_prefixes_by_how_many_lines_they_read() -> None:
    rds = "2024-03-01 10:00:00 UTC:10.1.2.3(5432):app@shop:[777]:LOG:  statement: SELECT 1"
    assert detect([rds, rds, LINE])[0].name == "rds"
    assert detect([LINE])[0].name in ("debian-userdb", "queryid")


def test_the_generic_reader_picks_out_common_fields() -> None:
    line = "2023-03-07 09:06:08 CET [130096]: [247-1] [0] usr=usr6,db=progdb,appli=76ae LOG:  x"
    m = GENERIC.match(line)
    assert m is not None
    assert middle_fields(m["middle"]) == {
        "pid": "130096",
        "user": "usr6",
        "db": "progdb",
        "app": "76ae",
    }


CUSTOM = (
    "[101] 2024-03-01 10:00:00.100 UTC app@shop LOG:  duration: 1.5 ms  statement: SELECT 1\n"
    "[101] 2024-03-01 10:00:01.100 UTC app@shop LOG:  duration: 2.5 ms  statement: SELECT 2\n"
)


def test_prefix_option_reads_an_unknown_prefix(tmp_path: Path, runner: Runner) -> None:
    log = tmp_path / "custom.log"
    log.write_text(CUSTOM)
    root = tmp_path / "lake"
    # no known prefix reads it: the error says so (never a silent zero)
    refused = runner.run("ingest", "--out", str(root), "-q", str(log), catch=True)
    assert refused.exit_code == 1
    assert "its prefix could not be read: the log_line_prefix is not one of the known ones" in (
        refused.output
    )
    wrong = runner.run("ingest", "--out", str(root), "-q", "--prefix", "[%p] %m %u:%d ", str(log))
    assert wrong.exit_code == 1 and "':' after '%u' does not match" in wrong.output
    done = runner.run("ingest", "--out", str(root), "-q", "--prefix", "[%p] %m %u@%d ", str(log))
    assert done.exit_code == 0, done.output
    rows = query(
        root, "slow_queries", "SELECT user, db, connection_id, duration_ms FROM t ORDER BY ts"
    )
    assert rows == [("app", "shop", 101, 1.5), ("app", "shop", 101, 2.5)]


def test_prefix_setting(tmp_path: Path, run_ingest: IngestFn, settings) -> None:
    log = tmp_path / "custom.log"
    log.write_text(CUSTOM)
    report = run_ingest(log, pg_prefix="[%p] %m %u@%d ")
    assert report["rows"]["slow_queries"] == 2


def test_a_file_without_timestamps_is_refused_naming_the_missing_part(
    tmp_path: Path, run_ingest: IngestFn
) -> None:
    log = tmp_path / "undated.log"
    log.write_text("[101] app@shop LOG:  duration: 1.5 ms  statement: SELECT 1\n" * 3)
    with pytest.raises(InputError, match=r"no timestamp escape found \(%t, %m or %n\)"):
        run_ingest(log)
