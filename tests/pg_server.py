"""A real, throwaway PostgreSQL 15 cluster for the PostgreSQL tests.

`running_pg_cluster()` runs `initdb` and `pg_ctl` from Debian's packages in a temporary
directory, as a non-root user (`postgres` through `runuser` when the tests run as root), on
a free loopback port with its unix socket in that directory. It logs everything pgBadger
and loglake read — stderr, csvlog and jsonlog at once through the logging collector, with
pgBadger's recommended `log_line_prefix`, every statement's duration, auto_explain plans,
connections, lock waits, temp files, checkpoints and autovacuum — and stops (and removes)
the cluster on exit. A test role logs in over TCP with a SCRAM password.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("LOGLAKE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PGBADGER_PREFIX = "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "
TEST_ROLE = "loglake_test"
TEST_PASSWORD = "loglake-test-only"  # a throwaway cluster's role; never a real secret
TEST_DB = "shop"
# (db, user, app) of the sessions the setup opens (their connections are in the logs)
SETUP_SESSIONS = (
    ("postgres", "postgres", "pg_server_setup"),
    ("shop", "postgres", "pg_server_setup"),
)
EXTENSIONS = ("pg_stat_statements", "hypopg")  # created in the test database when installed
LOG_NAME = "postgresql"  # log/postgresql.log, .csv and .json

# appended to postgresql.conf: everything a log analyzer can be shown
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "lc_messages": "'C'",
    "logging_collector": "on",
    "log_destination": "'stderr,csvlog,jsonlog'",
    "log_directory": "'log'",
    "log_filename": f"'{LOG_NAME}.log'",
    "log_file_mode": "0644",
    "log_rotation_age": "0",
    "log_rotation_size": "0",
    "log_line_prefix": f"'{PGBADGER_PREFIX}'",
    "log_min_duration_statement": "0",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_lock_waits": "on",
    "deadlock_timeout": "'200ms'",
    "log_temp_files": "0",
    "log_checkpoints": "on",
    "log_autovacuum_min_duration": "0",
    "autovacuum_naptime": "'1s'",
    "checkpoint_timeout": "'1h'",  # checkpoints only when asked (CHECKPOINT)
    "shared_preload_libraries": "'auto_explain,pg_stat_statements'",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "password_encryption": "'scram-sha-256'",
    "fsync": "off",  # a throwaway cluster: durability is not under test
    "shared_buffers": "'16MB'",
    "max_connections": "20",
}

HBA = """\
# throwaway test cluster: the superuser over the unix socket, everyone else by password
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
"""


def unavailable() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).exists():
            return (
                f"PostgreSQL 15 is not installed ({PG_BIN / tool} missing); "
                "`make test-deps` installs it"
            )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and runuser(1) is missing"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass(frozen=True)
class PgCluster:
    """A running cluster: where it lives, where it listens, where it logs."""

    base: Path  # the temporary directory (data/, the socket, the startup log)
    port: int

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.base / "data"

    @property
    def log_dir(self) -> Path:
        """The logging collector's directory."""
        return self.data / "log"

    @property
    def stderr_log(self) -> Path:
        """The stderr log (pgBadger's prefix)."""
        return self.log_dir / f"{LOG_NAME}.log"

    @property
    def csv_log(self) -> Path:
        """The csvlog."""
        return self.log_dir / f"{LOG_NAME}.csv"

    @property
    def json_log(self) -> Path:
        """The jsonlog."""
        return self.log_dir / f"{LOG_NAME}.json"

    @property
    def logs(self) -> tuple[Path, Path, Path]:
        """The three log files of the same records."""
        return (self.stderr_log, self.csv_log, self.json_log)

    def dsn(
        self, dbname: str = TEST_DB, user: str = TEST_ROLE, password: str | None = TEST_PASSWORD
    ) -> str:
        """A libpq DSN over TCP (a password login)."""
        parts = {
            "host": "127.0.0.1",
            "port": str(self.port),
            "dbname": dbname,
            "user": user,
            "sslmode": "disable",
            "gssencmode": "disable",
        }
        if password is not None:
            parts["password"] = password
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def connect(
        self,
        dbname: str = TEST_DB,
        user: str = TEST_ROLE,
        password: str | None = TEST_PASSWORD,
        app: str = "pg_workload",
        superuser: bool = False,
        **options: Any,
    ) -> Any:  # a psycopg.Connection in autocommit mode
        """A psycopg connection: the test role over TCP, or `superuser` over the unix socket."""
        import psycopg

        if superuser:
            return psycopg.connect(
                host=str(self.base),
                port=self.port,
                dbname=dbname,
                user="postgres",
                application_name=app,
                autocommit=True,
                **options,
            )
        return psycopg.connect(
            self.dsn(dbname, user, password), application_name=app, autocommit=True, **options
        )

    def wait_for_log(self, needle: str, timeout: float = 20) -> None:
        """Wait until every log file holds `needle` (the logging collector writes them late)."""
        deadline = time.monotonic() + timeout
        pending = list(self.logs)
        while pending:
            pending = [p for p in pending if not (p.exists() and needle in p.read_text("utf-8"))]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} never reached {', '.join(map(str, pending))}")
            time.sleep(0.1)


def _run(args: list[str], base: Path) -> None:
    done = subprocess.run(
        _as_server_user(args), capture_output=True, text=True, cwd=base, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


@contextmanager
def running_pg_cluster(settings: dict[str, str] | None = None) -> Iterator[PgCluster]:
    """initdb + pg_ctl start a fresh cluster on a free loopback port; stop and delete it on exit.

    `settings` are written over `SERVER_SETTINGS` (values as postgresql.conf spells them:
    `{"log_line_prefix": "'%m [%p] %Q '"}`); the defaults are what every other test reads.
    """
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    # not pytest's tmp_path: its parents are private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="loglake-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(base, _free_port())
    started = False
    try:
        _run(
            [str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8", "--locale=C"],
            base,
        )  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# loglake test cluster\n")
            conf.write(f"port = {cluster.port}\nunix_socket_directories = '{base}'\n")
            for name, value in {**SERVER_SETTINGS, **(settings or {})}.items():
                conf.write(f"{name} = {value}\n")
        (cluster.data / "pg_hba.conf").write_text(HBA)
        _run(
            [str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-l", str(base / "startup.log"),
             "-w", "-t", "60", "start"],
            base,
        )  # fmt: skip
        started = True
        with cluster.connect("postgres", superuser=True, app=SETUP_SESSIONS[0][2]) as conn:
            conn.execute("SET log_min_duration_statement = -1")  # the password stays out of logs
            conn.execute("SET auto_explain.log_min_duration = -1")
            conn.execute(f"CREATE ROLE {TEST_ROLE} LOGIN PASSWORD '{TEST_PASSWORD}'")
            conn.execute(f"CREATE DATABASE {TEST_DB} OWNER {TEST_ROLE}")
        with cluster.connect(TEST_DB, superuser=True, app=SETUP_SESSIONS[1][2]) as conn:
            conn.execute("SET log_min_duration_statement = -1")
            conn.execute("SET auto_explain.log_min_duration = -1")
            found = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions")}
            for name in EXTENSIONS:  # the live advisor tests: statistics, hypothetical indexes
                if name in found:
                    conn.execute(f"CREATE EXTENSION {name}")
            # the test role reads every statement's statistics and the hypothetical indexes
            conn.execute(f"GRANT pg_read_all_stats TO {TEST_ROLE}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {TEST_ROLE}")
        yield cluster
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w",
                     "stop"]
                ),
                capture_output=True,
                cwd=base,
                check=False,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
