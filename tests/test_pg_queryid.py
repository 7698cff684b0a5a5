"""The live advisor joins pg_stat_statements with the log's rows by queryid too: a real
PostgreSQL 15 logging `%Q` (compute_query_id = on), where the statement the log holds is
spelled differently from pg_stat_statements' text (a table alias), so the two share a
queryid but not a pglast fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loglake.advisor.pg_collect import collect
from loglake.analytics.engine import Lake
from loglake.config import Settings
from loglake.formats.postgres.fingerprint import statement_of
from loglake.ingest.pipeline import ingest
from pg_server import PGBADGER_PREFIX, TEST_ROLE, PgCluster, running_pg_cluster, unavailable

PREFIX = PGBADGER_PREFIX + "qid=%Q "
UNLOGGED = "SELECT id, total FROM orders WHERE customer_id = 42"  # pg_stat_statements' text
LOGGED = "SELECT o.id, o.total FROM orders o WHERE o.customer_id = 44"  # the log's only
RUNS = 3


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    conf = {"log_line_prefix": f"'{PREFIX}'", "compute_query_id": "on"}
    with running_pg_cluster(conf) as running:
        with running.connect(superuser=True, app="setup") as conn:
            conn.execute("SET log_min_duration_statement = -1")
            for name in ("log_min_duration_statement", "auto_explain.log_min_duration"):
                conn.execute(f"GRANT SET ON PARAMETER {name} TO {TEST_ROLE}")
        with running.connect(app="setup") as conn:
            conn.execute("SET log_min_duration_statement = -1")
            conn.execute(
                "CREATE TABLE orders AS SELECT i AS id, i % 2000 AS customer_id, "
                "(i % 97)::numeric AS total FROM generate_series(1, 40000) i"
            )
            conn.execute("ANALYZE orders")
        with running.connect(superuser=True, app="setup") as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
        with running.connect(app="shop") as conn:
            # the first run names the entry's text; it is not logged
            conn.execute("SET log_min_duration_statement = -1")
            conn.execute("SET auto_explain.log_min_duration = -1")
            conn.execute(UNLOGGED).fetchall()
            conn.execute("RESET log_min_duration_statement")
            conn.execute("RESET auto_explain.log_min_duration")
            for _ in range(RUNS):
                conn.execute(LOGGED).fetchall()
            conn.execute("SELECT 'logged'").fetchall()
        running.wait_for_log("'logged'")
        yield running


def _statement(settings: Settings) -> dict[str, Any]:
    lake = Lake(settings.root, settings)
    try:
        with lake.snapshot() as cur:
            found = cur.execute(
                "SELECT query_id, fingerprint, query, calls, log_examples, params_source, "
                "explain_sql FROM pg_statements WHERE tables = 'public.orders'"
            )
            names = [d[0] for d in found.description]
            rows = [dict(zip(names, r, strict=True)) for r in found.fetchall()]
    finally:
        lake.close()
    assert len(rows) == 1, rows
    return rows[0]


def _logged_ids(cluster: PgCluster) -> set[str]:
    marker = "statement: " + LOGGED
    lines = [line for line in cluster.stderr_log.read_text().splitlines() if marker in line]
    assert len(lines) == RUNS
    return {line.split("qid=", 1)[1].split(" ", 1)[0] for line in lines}


def test_the_log_rows_of_a_statement_are_found_by_its_queryid(
    cluster: PgCluster, tmp_path: Any
) -> None:
    settings = Settings(root=tmp_path / "lake", pg_dsn=cluster.dsn(), pg_prefix=PREFIX)
    ingest([str(cluster.stderr_log)], settings.with_options(workers=1))
    collect(settings, explain_top=20)
    row = _statement(settings)
    assert row["calls"] == RUNS + 1  # one entry: the two spellings are one statement
    assert "o.customer_id" not in row["query"]  # its text is the unlogged spelling
    assert _logged_ids(cluster) == {row["query_id"]}  # the log's %Q is its queryid
    # pglast tells the spellings apart: the fingerprint alone finds none of the log's rows
    assert statement_of(LOGGED).shape_hash != row["fingerprint"]
    # the statement line and its auto_explain plan, for each run
    assert row["log_examples"] == 2 * RUNS
    assert row["params_source"] == "log" and row["explain_sql"] == LOGGED


@pytest.mark.parametrize("blank", [False, True], ids=["csvlog", "csvlog-without-query-id"])
def test_the_csvlog_query_id_joins_and_without_it_nothing_does(
    cluster: PgCluster, tmp_path: Any, blank: bool
) -> None:
    """The csvlog's query_id column joins the same way; blanked ("0", as a server with
    compute_query_id off writes it), the differently spelled statement finds no log row."""
    import csv

    log = cluster.csv_log
    if blank:
        log = tmp_path / "no-queryid.csv"
        with log.open("w", newline="") as f:
            writer = csv.writer(f)
            for record in csv.reader(cluster.csv_log.read_text().splitlines(keepends=True)):
                writer.writerow([*record[:25], "0", *record[26:]])
    settings = Settings(root=tmp_path / "lake", pg_dsn=cluster.dsn())
    ingest([str(log)], settings.with_options(workers=1))
    collect(settings, explain_top=20)
    row = _statement(settings)
    if blank:
        assert row["log_examples"] == 0 and row["params_source"] != "log"
    else:
        assert row["log_examples"] == 2 * RUNS and row["explain_sql"] == LOGGED
