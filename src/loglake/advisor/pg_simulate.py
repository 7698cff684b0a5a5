"""`loglake pg simulate` / `POST /api/pg/simulate`: a recommendation's effect on one statement.

`hypopg` mode (the default) plans the statement as the snapshot did (same text, same
values), then again with the recommended index made hypothetical (an index finding) or the
redundant index hidden (`hypopg_hide_index`), on a connection of its own, in a read-only
transaction; `hypopg_reset()` and `hypopg_unhide_all_indexes()` run in a finally, and
the connection is closed when they cannot (hypothetical indexes die with their backend).
`real` mode copies the statement's tables (at most `SANDBOX_ROWS` rows each) into a
sandbox schema it creates, runs EXPLAIN ANALYZE before and after a real index there and
drops the schema in a finally: live tables are never touched. A limiter caps simulations
in flight and per minute (the API's guard; the CLI runs one). Each completed simulation is
committed to the lake's `pg_simulations` stream (advisor/pg_store.py), so a statement's
detail lists them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from typing import Any

import orjson

from loglake.advisor.pg_connect import PgError, connect, require_extension, server_label
from loglake.advisor.pg_explain import (
    Planned,
    cost,
    explain,
    hypothetical,
    index_ddl,
    node_labels,
    plan_changes,
)
from loglake.config import Settings
from loglake.errors import InputError, LockError, NotFoundError

MODES = ("hypopg", "real")
SANDBOX_ROWS = 200_000
_INDEX_TYPES = ("missing_index", "composite_index")


class BusyError(PgError):
    """Too many simulations at once or this minute: try again shortly."""


class Limiter:
    """At most `in_flight` simulations at once and `per_minute` started in any minute."""

    def __init__(self, in_flight: int, per_minute: int) -> None:
        self._slots = threading.BoundedSemaphore(in_flight)
        self._lock = threading.Lock()
        self._started: deque[float] = deque()
        self.per_minute = per_minute

    @contextmanager
    def slot(self) -> Any:
        """Hold a slot for one simulation, or BusyError."""
        now = time.monotonic()
        with self._lock:
            while self._started and now - self._started[0] >= 60:
                self._started.popleft()
            if len(self._started) >= self.per_minute:
                raise BusyError(
                    f"{self.per_minute} simulations were started in the last minute "
                    "(LOGLAKE_PG_SIMULATIONS_PER_MINUTE): try again in a few seconds"
                )
            if not self._slots.acquire(blocking=False):
                raise BusyError(
                    "the simulations in flight are at their cap "
                    "(LOGLAKE_PG_SIMULATIONS_IN_FLIGHT): try again when one finishes"
                )
            self._started.append(now)
        try:
            yield
        finally:
            self._slots.release()


def _inputs(settings: Settings, query_id: str, rec_id: str) -> dict[str, Any]:
    from loglake.advisor.pg_store import read

    rows = read(settings, "pg_simulation_inputs", [query_id, rec_id])
    if not rows:
        raise NotFoundError(
            f"no recommendation {rec_id} for statement {query_id} in the lake: take the ids "
            "from `loglake pg bottlenecks` (or GET /api/pg/bottlenecks)"
        )
    row = rows[0]
    if not row["explain_sql"]:
        raise InputError(
            f"statement {query_id} was not explained when it was collected: collect again "
            "with a larger --explain-top"
        )
    row["evidence"] = orjson.loads(row["evidence"]) if row["evidence"] else {}
    return row


def _planned(row: dict[str, Any]) -> Planned:
    values = orjson.loads(row["params"]) if row["params"] else None
    return Planned(
        row["params_source"] or "log", row["explain_sql"], tuple(values) if values else None
    )


def _index_of(row: dict[str, Any]) -> tuple[str, list[str]]:
    ev = row["evidence"]
    table = ev.get("table") or ev.get("seq_scan")
    cols = ev.get("columns") or ([ev["column"]] if ev.get("column") else None)
    if not table or not cols:
        raise InputError(f"recommendation {row['target']} names no table and columns")
    return str(table), [str(c) for c in cols]


def _hypopg(conn: Any, row: dict[str, Any]) -> dict[str, Any]:
    plan = _planned(row)
    conn.read_only = True
    try:
        with conn.transaction(force_rollback=True):
            before = explain(conn, plan)
            if row["type"] == "redundant_index":
                if not _can_hide(conn):
                    raise InputError(
                        "hiding an index needs hypopg 1.4 or later (hypopg_hide_index), and "
                        "this server's hypopg is older: simulate it with --mode real (sandbox "
                        "copies)"
                    )
                with _hidden(conn, str(row["evidence"]["index"])):
                    after = explain(conn, plan)
            else:
                table, cols = _index_of(row)
                with hypothetical(conn, [index_ddl(table, cols, concurrently=False)]):
                    after = explain(conn, plan)
    finally:
        if not conn.closed:
            conn.read_only = False
    return {"before": before, "after": after}


def _can_hide(conn: Any) -> bool:
    found = conn.execute("SELECT 1 FROM pg_proc WHERE proname = 'hypopg_hide_index'")
    return found.fetchone() is not None


@contextmanager
def _hidden(conn: Any, index: str) -> Any:
    try:
        with conn.transaction():
            conn.execute("SELECT hypopg_hide_index(%s::regclass)", [index])
        yield
    finally:
        try:
            conn.execute("SELECT hypopg_unhide_all_indexes()")
        except Exception:  # noqa: BLE001  (a broken connection: its backend ends)
            conn.close()


def _real(conn: Any, row: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN ANALYZE before and after the change, on copies in a sandbox schema: a new
    index is built there; a redundant one is built beside the index covering it, then
    dropped."""
    from psycopg import sql

    from loglake.advisor.pg_columns import usage_of

    if row["op"] != "SELECT":
        raise InputError("real mode runs SELECT statements only (EXPLAIN ANALYZE runs them)")
    if _qualified(row["explain_sql"]):
        raise InputError("real mode needs a statement naming its tables without a schema")
    table, cols = _index_of(row)
    schema = f"loglake_sandbox_{uuid.uuid4().hex[:8]}"
    tables = usage_of(row["explain_sql"], {}).tables or [table]
    plan = _planned(row)
    bare = table.rsplit(".", 1)[-1]

    def build(columns: list[str]) -> None:
        conn.execute(sql.SQL(index_ddl(f"{schema}.{bare}", columns, False)))  # type: ignore[arg-type]

    try:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        copies = {name.rsplit(".", 1)[-1]: name for name in tables}
        copies[bare] = table  # schema-qualified from the catalog
        for short, name in copies.items():
            source = sql.Identifier(*name.split("."))
            copy = sql.Identifier(schema, short)
            conn.execute(sql.SQL("CREATE TABLE {} AS SELECT * FROM {} LIMIT {}").format(
                copy, source, sql.Literal(SANDBOX_ROWS)))  # fmt: skip
            conn.execute(sql.SQL("ANALYZE {}").format(copy))
        conn.execute("SELECT set_config('search_path', %s, false)", [schema])
        if row["type"] == "redundant_index":
            covering = row["evidence"].get("covered_by_columns")
            if covering:
                build([str(c) for c in covering])
            build(cols)
            before = explain(conn, plan, analyze=True)
            conn.execute(
                sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, _last_index(conn, schema)))
            )
        else:
            before = explain(conn, plan, analyze=True)
            build(cols)
        after = explain(conn, plan, analyze=True)
    finally:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute("RESET search_path")
    return {"before": before, "after": after, "sandbox": schema}


def _last_index(conn: Any, schema: str) -> str:
    """The index built last in the sandbox (the redundant one)."""
    found = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'i' ORDER BY c.oid DESC LIMIT 1",
        [schema],
    ).fetchone()
    return str(found[0])


def _qualified(text: str) -> bool:
    from pglast import parser

    tree = orjson.loads(parser.parse_sql_json(text))
    return b'"schemaname"' in orjson.dumps(tree)


def simulate(
    settings: Settings, query_id: str, rec_id: str, mode: str = "hypopg", dsn: str | None = None
) -> dict[str, Any]:
    """Before and after plan costs (and times in real mode), the %Δ and the plan changes."""
    if mode not in MODES:
        raise InputError(f"mode: one of {', '.join(MODES)}, not {mode!r}")
    row = _inputs(settings, query_id, rec_id)
    if row["type"] not in (*_INDEX_TYPES, "redundant_index"):
        raise InputError(
            f"a {row['type']} recommendation is not an index change, so it cannot be "
            "simulated with hypothetical indexes: run its DDL on a copy of the database"
        )
    started = time.perf_counter()
    with connect(dsn or settings.pg_dsn, settings.pg_statement_timeout_ms) as conn:
        server = server_label(conn)
        if mode == "real":
            plans = _real(conn, row)
        else:
            require_extension(conn, "hypopg")
            plans = _hypopg(conn, row)
    before, after = cost(plans["before"]), cost(plans["after"])
    out: dict[str, Any] = {
        "query_id": query_id, "rec_id": rec_id, "mode": mode, "type": row["type"],
        "ddl": row["ddl"], "snapshot_id": row["snapshot_id"],
        "params_source": row["params_source"], "before_cost": before, "after_cost": after,
        "improvement_pct": round(100.0 * (before - after) / before, 1) if before > 0 else 0.0,
        "plan_changes": plan_changes(plans["before"], plans["after"]),
        "before_plan": plans["before"], "after_plan": plans["after"],
        "before_nodes": node_labels(plans["before"]), "after_nodes": node_labels(plans["after"]),
        "seconds": 0.0,
    }  # fmt: skip
    if mode == "real":
        out["before_ms"] = plans["before"].get("Execution Time")
        out["after_ms"] = plans["after"].get("Execution Time")
    out["seconds"] = round(time.perf_counter() - started, 3)
    return _keep(settings, out, server)


def _keep(settings: Settings, out: dict[str, Any], server: str) -> dict[str, Any]:
    """Commit the completed simulation to `pg_simulations`; `stored` says whether it was
    (a lake locked for longer than the wait keeps the answer, with a note)."""
    from loglake.advisor.pg_store import commit_simulation

    ts = int(time.time() * 1_000_000)
    out = {**out, "simulation_id": uuid.uuid4().hex[:12], "captured_at": ts, "server": server}
    try:
        out["dataset_version"] = commit_simulation(settings, simulation_row(out))
        out["stored"] = True
    except LockError as exc:
        out["stored"] = False
        out["note"] = f"the simulation was not kept in the lake: {exc}"
    return out


def simulation_row(sim: dict[str, Any]) -> dict[str, Any]:
    """A completed simulation as a `pg_simulations` row."""

    def js(key: str) -> str:
        return orjson.dumps(sim[key]).decode()

    return {
        "ts": sim["captured_at"], "file_offset": 0, "line_length": 0,
        "captured_at": sim["captured_at"], "snapshot_id": sim["snapshot_id"],
        "server": sim["server"], "simulation_id": sim["simulation_id"],
        "query_id": sim["query_id"], "rec_id": sim["rec_id"], "mode": sim["mode"],
        "type": sim["type"], "ddl": sim["ddl"], "params_source": sim["params_source"],
        "before_cost": sim["before_cost"], "after_cost": sim["after_cost"],
        "before_ms": sim.get("before_ms"), "after_ms": sim.get("after_ms"),
        "improvement_pct": sim["improvement_pct"], "plan_changes": js("plan_changes"),
        "before_nodes": js("before_nodes"), "after_nodes": js("after_nodes"),
        "before_plan": js("before_plan"), "after_plan": js("after_plan"),
        "seconds": sim["seconds"],
    }  # fmt: skip
