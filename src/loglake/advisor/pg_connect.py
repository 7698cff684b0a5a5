"""Connecting the live advisor to a PostgreSQL server: the DSN, what it needs, clear errors.

A DSN may carry a password; it never leaves this module: errors are scrubbed of it, and the
server is named everywhere else by `server_label` (host:port/database). Every connection
sets `statement_timeout`, names itself `loglake-advisor`, and turns auto_explain off for
its own statements when the role may (EXPLAIN under hypopg fails while auto_explain logs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from loglake.errors import ConfigError, InputError, LoglakeError

APP_NAME = "loglake-advisor"


class PgError(LoglakeError):
    """The server cannot be used as asked: what is missing and how to enable it."""


_EXTENSIONS = {
    "pg_stat_statements": (
        "add pg_stat_statements to shared_preload_libraries, restart the server, then run "
        "CREATE EXTENSION pg_stat_statements in this database"
    ),
    "hypopg": (
        "install hypopg (Debian: postgresql-15-hypopg), then run CREATE EXTENSION hypopg in "
        "this database"
    ),
}


def _password(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        value = conninfo_to_dict(dsn).get("password")
    except Exception:  # noqa: BLE001  (an unparsable DSN has no password we could leak)
        return None
    return str(value) if value else None


def scrub(text: str, dsn: str) -> str:
    """`text` without the DSN's password (and without the DSN itself)."""
    password = _password(dsn)
    if dsn:
        text = text.replace(dsn, "<dsn>")
    if password:
        text = text.replace(password, "***")
    return text


def _require_dsn(dsn: str | None) -> str:
    if not dsn:
        raise ConfigError(
            "no PostgreSQL server: pass --dsn 'host=… dbname=… user=…' or set LOGLAKE_PG_DSN"
        )
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001  (psycopg.ProgrammingError; the text may hold the password)
        raise InputError("the DSN is not a libpq connection string or postgresql:// URL") from None
    return dsn


@contextmanager
def connect(dsn: str | None, timeout_ms: int) -> Iterator[Any]:
    """A psycopg connection (autocommit; callers open their own transactions)."""
    import psycopg

    dsn = _require_dsn(dsn)
    try:
        conn = psycopg.connect(
            dsn,
            autocommit=True,
            application_name=APP_NAME,
            connect_timeout=max(1, timeout_ms // 1000),
        )
    except psycopg.Error as exc:
        raise PgError(
            f"cannot connect to PostgreSQL: {scrub(str(exc).strip(), dsn)}; check the host, "
            "port, database, user and password of the DSN and that the server accepts "
            "connections from here (pg_hba.conf)"
        ) from None
    try:
        conn.execute("SELECT set_config('statement_timeout', %s, false)", [str(timeout_ms)])
        _quiet_auto_explain(conn)
        yield conn
    except psycopg.Error as exc:  # what the server said, and what to do about it
        raise PgError(f"PostgreSQL refused: {scrub(str(exc).strip(), dsn)}{hint(exc)}") from None
    finally:
        conn.close()


_HINTS = {
    "57014": "; a statement ran past statement_timeout: raise LOGLAKE_PG_STATEMENT_TIMEOUT_MS",
    "42501": "; the role lacks a privilege: GRANT it (SELECT on the tables, pg_read_all_stats)",
    "55000": "; add pg_stat_statements to shared_preload_libraries and restart the server",
    "25006": "; the server is read-only here (a standby): real mode needs a primary",
}


def hint(exc: Exception) -> str:
    """What to try after a PostgreSQL error, by its SQLSTATE (empty when nothing fits)."""
    return _HINTS.get(str(getattr(exc, "sqlstate", "") or ""), "")


def _quiet_auto_explain(conn: Any) -> None:
    """auto_explain off for this session when it is loaded and the role may set it."""
    import psycopg

    loaded = conn.execute(
        "SELECT current_setting('auto_explain.log_min_duration', true)"
    ).fetchone()[0]
    if loaded is None or loaded == "-1":
        return
    try:
        conn.execute("SET auto_explain.log_min_duration = -1")
    except psycopg.errors.InsufficientPrivilege:
        role = conn.info.user
        raise PgError(
            f"auto_explain is loaded and role {role} may not turn it off for its session "
            f"(hypothetical-index plans fail while it logs): as a superuser run GRANT SET ON "
            f"PARAMETER auto_explain.log_min_duration TO {role}"
        ) from None


def server_label(conn: Any) -> str:
    """host:port/database of a connection: how the lake names the server."""
    info = conn.info
    host = info.host if not str(info.host).startswith("/") else "local"
    return f"{host}:{info.port}/{info.dbname}"


def require_extension(conn: Any, name: str) -> None:
    """PgError naming the extension and how to enable it when the database lacks it."""
    found = conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name]).fetchone()
    if found is None:
        raise PgError(f"database {conn.info.dbname} has no {name} extension: {_EXTENSIONS[name]}")


def has_extension(conn: Any, name: str) -> bool:
    """True when the database has the extension."""
    return (
        conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name]).fetchone() is not None
    )


def require_stats_rights(conn: Any) -> None:
    """PgError when the role cannot read other roles' statement texts."""
    row = conn.execute(
        "SELECT pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') "
        "OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()
    if not row[0]:
        role = conn.info.user
        raise PgError(
            f"role {role} cannot read the statements of other roles in pg_stat_statements: "
            f"as a superuser run GRANT pg_read_all_stats TO {role}"
        )
