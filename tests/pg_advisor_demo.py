"""The live advisor's test database on a throwaway cluster (tests/pg_server.py): the seeded
demo schema and workload (generate/pgdemo.py), plus a database without the extensions and
a role without the statistics rights, for the clear-error tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from loglake.formats.postgres.fingerprint import statement_of
from loglake.generate.pgdemo import analyze, build, run_workload
from pg_server import TEST_ROLE, PgCluster, running_pg_cluster, unavailable

DEMO_DB = "advisor_demo"
BARE_DB = "advisor_bare"  # no pg_stat_statements, no hypopg
NO_STATS_ROLE = "advisor_nostats"
NO_STATS_PASSWORD = "nostats-test-only"  # a throwaway cluster's role; never a real secret
NO_SELECT_ROLE = "advisor_noselect"  # reads the statistics, not the tables


@dataclass(frozen=True)
class Demo:
    """The demo database's DSNs and the calls its workload made."""

    cluster: PgCluster
    dsn: str
    bare_dsn: str
    no_stats_dsn: str
    no_select_dsn: str
    calls: dict[str, int]


@contextmanager
def demo_cluster() -> Iterator[Demo]:
    """A throwaway cluster with the demo database and its workload run (the test is skipped
    where PostgreSQL cannot be started)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with running_pg_cluster() as cluster:
        yield demo_database(cluster)


def demo_database(cluster: PgCluster, seed: int = 7) -> Demo:
    """Create the demo database with its extensions, fill it and run the workload."""
    with cluster.connect("postgres", superuser=True, app="advisor_setup") as conn:
        conn.execute("SET log_min_duration_statement = -1")
        for db in (DEMO_DB, BARE_DB):
            conn.execute(f"CREATE DATABASE {db} OWNER {TEST_ROLE}")
        conn.execute(f"CREATE ROLE {NO_STATS_ROLE} LOGIN PASSWORD '{NO_STATS_PASSWORD}'")
        # the advisor turns auto_explain off for its own session (hypopg's EXPLAINs fail
        # while it logs); the test role may set that parameter, as a DBA would grant it
        conn.execute(f"GRANT SET ON PARAMETER auto_explain.log_min_duration TO {TEST_ROLE}")
        for role in (NO_STATS_ROLE, NO_SELECT_ROLE):
            if role == NO_SELECT_ROLE:
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{NO_STATS_PASSWORD}'")
                conn.execute(f"GRANT pg_read_all_stats TO {role}")
            conn.execute(f"GRANT SET ON PARAMETER auto_explain.log_min_duration TO {role}")
    with cluster.connect(DEMO_DB, superuser=True, app="advisor_setup") as conn:
        conn.execute("SET log_min_duration_statement = -1")
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute("CREATE EXTENSION hypopg")
        conn.execute(f"GRANT pg_read_all_stats TO {TEST_ROLE}")
    with cluster.connect(DEMO_DB, app="pgdemo") as conn:
        build(conn, seed)
    with cluster.connect(DEMO_DB, app="pgdemo") as conn:  # the fill's counts are flushed
        analyze(conn)
    with cluster.connect(DEMO_DB, superuser=True, app="advisor_setup") as conn:
        conn.execute("SELECT pg_stat_statements_reset()")  # the workload's statements only
    with cluster.connect(DEMO_DB, app="pgdemo") as conn:
        calls = run_workload(conn, seed)
    return Demo(
        cluster,
        cluster.dsn(DEMO_DB),
        cluster.dsn(BARE_DB),
        cluster.dsn(DEMO_DB, NO_STATS_ROLE, NO_STATS_PASSWORD),
        cluster.dsn(DEMO_DB, NO_SELECT_ROLE, NO_STATS_PASSWORD),
        calls,
    )


def fingerprint(text: str) -> str:
    """The pglast fingerprint of a workload statement (psycopg's %s are $n on the server)."""
    counter = iter(range(1, 100))
    return statement_of(re.sub("%s", lambda _m: f"${next(counter)}", text)).shape_hash
