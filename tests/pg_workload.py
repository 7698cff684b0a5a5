"""A known workload for a live PostgreSQL cluster (tests/pg_server.py), and what it must log.

`run_workload(cluster)` connects as the test role and runs statements of a few shapes with
different parameters, inserts, updates, failed statements with known SQLSTATEs, a failed
password login, a lock wait, a deadlock, a sort that spills to a temp file, a CHECKPOINT and
an autovacuum, counting everything it sends. It returns a `Truth`: the exact counts a
correct reader of the server's logs finds. Where the server decides (autovacuum runs, temp
files), the counts are read back from the server's own statistics, not assumed.

Every statement the workload sends is counted by `Session.run`; the admin session that
reads statistics turns statement logging off for itself first, so it adds no statements.
Statements without parameters, and those bound client-side (psycopg's ClientCursor), go
over the simple query protocol and log `duration: … statement: …`; `Session.bound` uses
the extended protocol and logs parse, bind and execute durations with `DETAIL: parameters`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pg_server import SETUP_SESSIONS, TEST_DB, TEST_ROLE, PgCluster

MARKER = "loglake workload done"
CITIES = ("Lyon", "Oslo", "Lima", "Pune")
STATUSES = ("new", "paid", "shipped")


@dataclass
class Truth:
    """What the workload did, as a reader of its logs must count it."""

    # successful statements over the simple protocol, by a label of their shape
    statements: Counter[str] = field(default_factory=Counter)
    # successful extended-protocol executions (one parse, bind and execute each), by label
    executes: Counter[str] = field(default_factory=Counter)
    # statements the server explained (auto_explain: SELECT/INSERT/UPDATE/DELETE that succeeded)
    plans: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # SQLSTATE -> ERROR records
    fatals: Counter[str] = field(default_factory=Counter)  # SQLSTATE -> FATAL records
    connections: int = 0  # `connection received`
    disconnections: int = 0  # `disconnection: session time`
    auth_success: int = 0  # `connection authorized`
    auth_failure: int = 0  # `password authentication failed`
    sessions: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (db, user, app)
    lock_waits: int = 0  # `still waiting for … after N ms`
    deadlocks: int = 0  # `deadlock detected`
    cancels: int = 0  # `canceling statement due to statement timeout`
    temp_files: int = 0  # pg_stat_database.temp_files of the test database
    temp_bytes: int = 0
    checkpoints: int = 0  # CHECKPOINT commands (each logs starting + complete)
    autovacuum: Counter[str] = field(default_factory=Counter)  # db.schema.table -> runs
    autoanalyze: Counter[str] = field(default_factory=Counter)

    @property
    def statement_count(self) -> int:
        """Executions with a duration: simple statements plus extended executions."""
        return sum(self.statements.values()) + sum(self.executes.values())


class Session:
    """One connection of the workload; every statement it sends is counted in the truth."""

    def __init__(self, cluster: PgCluster, truth: Truth, app: str, **connect: Any) -> None:
        self.truth = truth
        self.app = app
        self.conn = cluster.connect(app=app, **connect)
        self.client = psycopg.ClientCursor(self.conn)  # binds values client-side: simple protocol
        truth.connections += 1
        truth.auth_success += 1
        truth.sessions[(connect.get("dbname", TEST_DB), connect.get("user", TEST_ROLE), app)] += 1

    def run(
        self, label: str, sql: str, params: tuple[Any, ...] = (), explained: bool = True
    ) -> Any:
        """A statement over the simple protocol (values bound client-side), counted."""
        self.client.execute(sql, params or None)
        self.truth.statements[label] += 1
        self.truth.plans += explained
        return self.client.fetchall() if self.client.description else None

    def bound(self, label: str, sql: str, params: tuple[Any, ...]) -> Any:
        """A statement over the extended protocol with server-side parameters, counted."""
        cur = self.conn.execute(sql, params)
        self.truth.executes[label] += 1
        self.truth.plans += 1
        return cur.fetchall()

    def fail(self, sql: str, sqlstate: str) -> None:
        """A statement that must fail with `sqlstate` (logged as an ERROR, no duration)."""
        try:
            self.client.execute(sql)
        except psycopg.Error as exc:
            assert exc.sqlstate == sqlstate, (sql, exc.sqlstate, exc)
            self.truth.errors[sqlstate] += 1
        else:
            raise AssertionError(f"{sql!r} did not fail")

    def close(self) -> None:
        """Disconnect (logged as a disconnection with the session time)."""
        self.conn.close()
        self.truth.disconnections += 1


def _schema(s: Session) -> None:
    s.run(
        "create",
        "CREATE TABLE customers (id int PRIMARY KEY, name text, city text)"
        " WITH (autovacuum_enabled = off)",
        explained=False,
    )
    s.run(
        "create",
        "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric,"
        " status text) WITH (autovacuum_enabled = off)",
        explained=False,
    )
    s.run(
        "create",
        "CREATE TABLE big (id int, pad text) WITH (autovacuum_enabled = off)",
        explained=False,
    )
    s.run(
        "create",
        "CREATE TABLE av_target (id int, pad text) WITH (autovacuum_vacuum_threshold = 0,"
        " autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 0,"
        " autovacuum_analyze_scale_factor = 0)",
        explained=False,
    )


def _data(s: Session) -> None:
    for n in range(1, 51):
        s.run(
            "insert_customer",
            "INSERT INTO customers (id, name, city) VALUES (%s, %s, %s)",
            (n, f"customer {n}", CITIES[n % len(CITIES)]),
        )
    for n in range(200):
        s.run(
            "insert_order",
            "INSERT INTO orders (customer_id, amount, status) VALUES (%s, %s, %s)",
            (1 + n % 50, 10 + n % 90, STATUSES[n % len(STATUSES)]),
        )
    s.run("insert_big", "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
    s.run("insert_av", "INSERT INTO av_target SELECT g, 'x' FROM generate_series(1, 2000) g")


def _reads(s: Session) -> None:
    for n in range(30):
        s.run("customer_by_id", "SELECT * FROM customers WHERE id = %s", (1 + n % 50,))
    for n in range(20):
        s.run(
            "orders_of_customer",
            "SELECT count(*) FROM orders WHERE customer_id = %s",
            (1 + (7 * n) % 50,),
        )
    for n in range(10):  # a statement over several lines: continuation lines in the log
        s.run(
            "spend_by_city",
            "SELECT c.name, sum(o.amount)\n  FROM customers c\n  JOIN orders o ON o.customer_id"
            " = c.id\n WHERE c.city = %s\n GROUP BY c.name",
            (CITIES[n % len(CITIES)],),
        )
    for n in range(12):
        s.bound(
            "orders_by_status",
            "SELECT id, status FROM orders WHERE status = %s AND amount > %s",
            (STATUSES[n % len(STATUSES)], n * 5),
        )


def _writes(s: Session) -> None:
    for n in range(15):
        s.run("ship_order", "UPDATE orders SET status = 'shipped' WHERE id = %s", (1 + n * 3,))
    s.run("delete_av", "DELETE FROM av_target WHERE id <= 1500")


def _failures(s: Session, cluster: PgCluster) -> None:
    s.fail("SELECT * FROM missing_table", "42P01")
    s.fail("SELECT * FROM missing_table WHERE id = 2", "42P01")
    s.fail("SELECT 1 / 0", "22012")
    s.run("set", "SET statement_timeout = '100ms'", explained=False)
    s.fail("SELECT pg_sleep(2)", "57014")
    s.truth.cancels += 1
    s.run("set", "RESET statement_timeout", explained=False)
    s.truth.connections += 1  # a login with a wrong password: received, then FATAL 28P01
    try:
        cluster.connect(password="wrong-password", app="bad_login").close()
    except psycopg.OperationalError:
        s.truth.auth_failure += 1
        s.truth.fatals["28P01"] += 1
    else:
        raise AssertionError("a wrong password logged in")


def _in_thread(fn: Any) -> threading.Thread:
    thread = threading.Thread(target=fn)
    thread.start()
    return thread


def _lock_wait(cluster: PgCluster, truth: Truth) -> None:
    holder, waiter = Session(cluster, truth, "lock_holder"), Session(cluster, truth, "lock_waiter")
    holder.run("begin", "BEGIN", explained=False)
    holder.run("rename_customer", "UPDATE customers SET name = %s WHERE id = 1", ("held",))
    blocked = _in_thread(
        lambda: waiter.run("rename_customer", "UPDATE customers SET name = %s WHERE id = 1", ("w",))
    )
    time.sleep(1.0)  # past deadlock_timeout: `still waiting for ShareLock on transaction`
    holder.run("commit", "COMMIT", explained=False)
    blocked.join(30)
    truth.lock_waits += 1
    holder.close()
    waiter.close()


def _deadlock(cluster: PgCluster, truth: Truth) -> None:
    first, second = Session(cluster, truth, "deadlock_a"), Session(cluster, truth, "deadlock_b")
    first.run("begin", "BEGIN", explained=False)
    second.run("begin", "BEGIN", explained=False)
    first.run("rename_customer", "UPDATE customers SET name = %s WHERE id = 2", ("a",))
    second.run("rename_customer", "UPDATE customers SET name = %s WHERE id = 3", ("b",))
    blocked = _in_thread(
        lambda: first.run("rename_customer", "UPDATE customers SET name = %s WHERE id = 3", ("a",))
    )
    time.sleep(1.0)  # the first waits past deadlock_timeout: one `still waiting`
    truth.lock_waits += 1
    second.fail("UPDATE customers SET name = 'b' WHERE id = 2", "40P01")  # closes the cycle
    truth.deadlocks += 1
    second.run("rollback", "ROLLBACK", explained=False)
    blocked.join(30)
    first.run("commit", "COMMIT", explained=False)
    first.close()
    second.close()


def _temp_file(s: Session) -> None:
    s.run("set", "SET work_mem = '64kB'", explained=False)
    s.run("sort_big", "SELECT id FROM big ORDER BY pad DESC")
    s.run("set", "RESET work_mem", explained=False)


def _quiet_admin(cluster: PgCluster, truth: Truth) -> Any:
    """A superuser session whose own statements are not logged (its connection is)."""
    conn = cluster.connect(TEST_DB, superuser=True, app="pg_workload_admin")
    conn.execute("SET log_min_duration_statement = -1")
    conn.execute("SET auto_explain.log_min_duration = -1")
    truth.connections += 1
    truth.auth_success += 1
    truth.sessions[(TEST_DB, "postgres", "pg_workload_admin")] += 1
    return conn


def _autovacuum(admin: Any, truth: Truth) -> None:
    deadline = time.monotonic() + 60
    query = (
        "SELECT autovacuum_count, autoanalyze_count FROM pg_stat_user_tables"
        " WHERE relname = 'av_target'"
    )
    while True:
        admin.execute("SELECT pg_stat_clear_snapshot()")
        vacuums, analyzes = admin.execute(query).fetchone()
        if vacuums and analyzes:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("autovacuum did not run on av_target within 60 s")
        time.sleep(0.5)
    admin.execute("ALTER TABLE av_target SET (autovacuum_enabled = off)")
    time.sleep(1.5)  # a worker already started on it finishes; none starts after
    admin.execute("SELECT pg_stat_clear_snapshot()")
    vacuums, analyzes = admin.execute(query).fetchone()
    truth.autovacuum[f"{TEST_DB}.public.av_target"] = vacuums
    truth.autoanalyze[f"{TEST_DB}.public.av_target"] = analyzes


def run_workload(cluster: PgCluster) -> Truth:
    """Run the workload on a fresh cluster; return what its logs must show."""
    truth = Truth()
    # the cluster's setup sessions
    truth.connections = truth.auth_success = truth.disconnections = len(SETUP_SESSIONS)
    truth.sessions.update(SETUP_SESSIONS)
    s = Session(cluster, truth, "pg_workload")
    _schema(s)
    _data(s)
    _reads(s)
    _writes(s)
    _failures(s, cluster)
    _temp_file(s)
    _lock_wait(cluster, truth)
    _deadlock(cluster, truth)
    admin = _quiet_admin(cluster, truth)
    admin.execute("CHECKPOINT")
    truth.checkpoints += 1
    _autovacuum(admin, truth)
    admin.execute("SELECT pg_stat_clear_snapshot()")
    temp = admin.execute(
        "SELECT temp_files, temp_bytes FROM pg_stat_database WHERE datname = %s", (TEST_DB,)
    ).fetchone()
    truth.temp_files, truth.temp_bytes = int(temp[0]), int(temp[1])
    admin.close()
    truth.disconnections += 1
    s.run("marker", "SELECT %s AS marker", (MARKER,))
    s.close()
    cluster.wait_for_log(MARKER)
    time.sleep(1.0)  # the marker's session ends: its disconnection line follows
    return truth
