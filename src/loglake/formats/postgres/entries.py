"""One PostgreSQL log entry (message + DETAIL/HINT/STATEMENT/CONTEXT...) -> rows of every
stream, per docs/internals.md "PostgreSQL rows".

Every reader (stderr, csvlog, jsonlog) fills an `Entry`; an `EntryRows` (one per file, it
keeps state across entries) turns it into `Parsed` rows. The state: a `log_statement` line
waits (by pid) for the `log_duration` line that follows it, and the pair makes one
slow_queries row on the duration line (pgBadger counts the two lines as two queries); an
auto_explain plan logged between them joins the same row; `connection authenticated` lends
its method to the `connection authorized` line of the same pid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from loglake.formats.base import BadLine, BadReason, Parsed, Row
from loglake.formats.levels import postgres_level
from loglake.formats.postgres import messages
from loglake.formats.postgres.explain import plan_of
from loglake.formats.postgres.fingerprint import statement_of
from loglake.schema import Stream

MESSAGE_LIMIT = 4096
_PENDING_LIMIT = 100_000

_DURATION = re.compile(r"duration: (?P<ms>\d+(?:\.\d+)?) ms(?:  (?P<rest>.*))?\Z", re.DOTALL)
_PHASE = re.compile(
    r"(?:(?P<phase>statement|fastpath function call)|(?P<ext>execute|bind|parse)"
    r" (?P<name>[^:]*?)(?: \(portal [^)]*\))?): (?P<sql>.*)\Z|(?P<plan>plan:)(?P<body>.*)\Z",
    re.DOTALL,
)


class Entry:
    """One log entry, whatever the file format: the prefix's (or columns') fields and the
    message with its secondary fields.

    A plain class whose unset fields are the class's None: a stderr line sets a handful,
    and building it costs a quarter of a dataclass's `__init__` of all twenty."""

    pid: int | None = None
    user: str | None = None
    db: str | None = None
    app: str | None = None
    client: str | None = None
    port: int | None = None
    session_id: str | None = None
    line_num: int | None = None
    sqlstate: str | None = None
    backend: str | None = None
    query_id: str | None = None
    command_tag: str | None = None
    detail: str | None = None
    hint: str | None = None
    statement: str | None = None
    context: str | None = None
    query: str | None = None

    def __init__(self, ts: int, severity: str, message: str, **fields: Any) -> None:
        self.ts = ts
        self.severity = severity
        self.message = message
        if fields:
            unknown = fields.keys() - _ENTRY_FIELDS
            if unknown:
                raise TypeError(f"Entry has no field {sorted(unknown)[0]!r}")
            self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"Entry({self.__dict__!r})"


_ENTRY_FIELDS = frozenset(Entry.__annotations__)


@dataclass(slots=True)
class _Pending:
    entry: Entry
    op_type: str
    sql: str
    params: str | None


_UNSET = ("", "[unknown]")  # what a prefix writes for a field the process does not have
# the entry's fields copied into the events row's attributes, in this order
_EVENT_ATTRS = (
    "db", "app", "client", "pid", "session_id", "query_id", "detail", "hint", "statement",
    "context",
)  # fmt: skip
_LEVELS = {"LOG": postgres_level("LOG"), "ERROR": postgres_level("ERROR")}


class EntryRows:
    """Entries of one file -> rows (keeps the cross-entry state of that file)."""

    def __init__(self) -> None:
        self._pending: dict[int | None, _Pending] = {}
        self._methods: dict[int | None, str] = {}
        self._explained: set[int | None] = set()  # pids whose waiting statement a plan ended

    def waiting(self) -> bool:
        """Whether a statement waits for its duration (the next entries' order matters)."""
        return bool(self._pending or self._explained)

    def parsed(self, e: Entry | None) -> Parsed | BadLine:
        """What a format's parser returns for one read entry: its rows, or the bad line
        (no entry: its timestamp could not be read; one that does not fit: another format)."""
        if e is None:
            return BadLine(BadReason.BAD_TIMESTAMP)
        try:
            return self.rows(e)
        except (ValueError, KeyError, TypeError, IndexError, OverflowError):
            return BadLine(BadReason.OTHER_FORMAT)

    def rows(self, e: Entry) -> Parsed:
        """The rows of one entry: its events row first."""
        if e.user in _UNSET:  # (a `None in` test costs less than four calls of a cleaner)
            e.user = None
        if e.db in _UNSET:
            e.db = None
        if e.app in _UNSET:
            e.app = None
        if e.client in _UNSET:
            e.client = None
        if e.query_id in ("0", ""):
            e.query_id = None
        attrs: dict[str, Any] = {"kind": "other"}
        out: list[tuple[Stream, Row]] = []
        duration: float | None = None
        message = e.message
        if e.severity == "LOG" and (m := _DURATION.match(message)):
            duration = float(m["ms"])
            slow = self._duration(e, duration, m["rest"])
            if slow is not None:
                out.append((Stream.SLOW_QUERIES, slow))
                attrs["kind"] = "statement"
        elif e.severity == "LOG" and (m := _PHASE.match(message)) and not m["plan"]:
            self._wait(e, m)
            attrs["kind"] = "statement"
        else:
            attrs.update(messages.classify(e, message))
            self._other_streams(e, attrs, out)
        event = self._event(e, attrs, duration)
        return Parsed(rows=[(Stream.EVENTS, event), *out])

    def _event(self, e: Entry, attrs: dict[str, Any], duration: float | None) -> Row:
        get = e.__dict__.get  # the fields an entry set (the others are the class's None)
        for key in _EVENT_ATTRS:
            value = get(key)
            if value is not None and key not in attrs:
                attrs[key] = value
        first = e.message.split("\n", 1)[0][:MESSAGE_LIMIT]
        return {
            "ts": e.ts,
            "severity": e.severity,
            "component": e.backend,
            "msg_id": None,
            "context": None if e.pid is None else str(e.pid),
            "message": first,
            "user": e.user,
            "attrs": orjson.dumps(attrs, default=str).decode(),
            "level": _LEVELS.get(e.severity) or postgres_level(e.severity),
            "code": e.sqlstate,
            "duration_ms": duration,
        }

    # --- statements -----------------------------------------------------------------------

    def _wait(self, e: Entry, m: re.Match[str]) -> None:
        """A log_statement line: keep it until its pid logs a duration."""
        op_type = m["ext"] or ("statement" if m["phase"] == "statement" else "fastpath")
        if len(self._pending) > _PENDING_LIMIT:
            self._pending.clear()
        self._pending[e.pid] = _Pending(e, op_type, m["sql"], _params(e.detail))
        self._explained.discard(e.pid)

    def _duration(self, e: Entry, ms: float, rest: str | None) -> Row | None:
        """A `duration:` entry: a complete statement, a plan, or the end of a waiting one."""
        if rest is None:  # log_duration: the statement was logged before, by this pid
            pending = self._pending.pop(e.pid, None)
            if pending is None:
                if e.pid in self._explained:  # its plan made the row already
                    self._explained.discard(e.pid)
                    return None
                return self._slow(e, ms, "statement", None, _params(e.detail), None)
            return self._slow(
                pending.entry, ms, pending.op_type, pending.sql, pending.params, None, e
            )
        m = _PHASE.match(rest)
        if m is None:
            return self._slow(e, ms, "statement", rest, _params(e.detail), None)
        if m["plan"]:  # auto_explain: the execution of the statement this pid logged, if any
            plan = plan_of(m["body"])
            pending = self._pending.pop(e.pid, None)
            if pending is not None:
                if len(self._explained) > _PENDING_LIMIT:
                    self._explained.clear()
                self._explained.add(e.pid)
                return self._slow(
                    pending.entry,
                    ms,
                    pending.op_type,
                    pending.sql,
                    pending.params or plan.params,
                    plan,
                    e,
                )
            return self._slow(e, ms, "plan", plan.query_text, plan.params, plan)
        op_type = m["ext"] or ("statement" if m["phase"] == "statement" else "fastpath")
        self._pending.pop(e.pid, None)
        return self._slow(e, ms, op_type, m["sql"], _params(e.detail), None)

    def _slow(
        self,
        e: Entry,
        ms: float,
        op_type: str,
        sql: str | None,
        params: str | None,
        plan: Any,
        end: Entry | None = None,
    ) -> Row:
        row: Row = {
            "ts": (end or e).ts,
            "engine": "postgres",
            "db": e.db,
            "app_name": e.app,
            "client_ip": e.client,
            "client_port": e.port,
            "user": e.user,
            "connection_id": e.pid,
            "duration_ms": ms,
            "op_type": op_type,
            "query_hash": e.query_id,
            "session_id": e.session_id,
            "params": params,
            "sqlstate": e.sqlstate if e.sqlstate not in (None, "00000") else None,
            "full_scan": False,
            "is_system": False,
        }
        if sql:
            st = statement_of(sql)
            row["shape"] = st.shape
            row["shape_hash"] = st.shape_hash
            row["op"] = st.op
            row["collection"] = st.collection
            row["tables"] = st.table_list
            row["is_system"] = st.is_system
            if e.db and st.collection:
                row["namespace"] = f"{e.db}.{st.collection}"
            row["statement"] = sql[:MESSAGE_LIMIT]
        if plan is not None:
            row.update(
                plan=plan.plan,
                full_scan=plan.full_scan,
                used_disk=plan.used_disk,
                has_sort_stage=plan.sort,
                plan_facts=plan.as_json(),
            )
            if plan.actual_rows is not None:
                row["nreturned"] = int(plan.actual_rows)
        return row

    # --- connections and authentication ---------------------------------------------------

    def _other_streams(
        self, e: Entry, attrs: dict[str, Any], out: list[tuple[Stream, Row]]
    ) -> None:
        kind = attrs["kind"]
        base = {"ts": e.ts, "connection_id": e.pid}
        if kind == "connection_authenticated":
            if len(self._methods) > _PENDING_LIMIT:  # bounded memory: pids never authorized
                self._methods.clear()
            self._methods[e.pid] = attrs.get("method") or ""
        elif kind == "connection_received":
            out.append(
                (
                    Stream.CONNECTIONS,
                    {
                        **base,
                        "event": "accepted",
                        "client_ip": attrs.get("client"),
                        "client_port": attrs.get("port"),
                    },
                )
            )
        elif kind == "disconnection":
            out.append(
                (
                    Stream.CONNECTIONS,
                    {
                        **base,
                        "event": "ended",
                        "client_ip": attrs.get("client") or e.client,
                        "client_port": attrs.get("port") or e.port,
                        "session_ms": attrs.get("session_ms"),
                        "user": attrs.get("user") or e.user,
                        "db": attrs.get("database") or e.db,
                        "app_name": e.app,
                    },
                )
            )
        elif kind == "connection_authorized":
            method = attrs.get("method") or self._methods.pop(e.pid, None) or None
            user = attrs.get("user") or e.user
            db = attrs.get("database") or e.db
            app = attrs.get("application_name") or e.app
            out.append(
                (
                    Stream.AUTHENTICATIONS,
                    {
                        **base,
                        "user": user,
                        "auth_db": db,
                        "mechanism": method,
                        "result": "success",
                        "client_ip": e.client,
                        "client_port": e.port,
                    },
                )
            )
            out.append(
                (
                    Stream.CONNECTIONS,
                    {
                        **base,
                        "event": "metadata",
                        "app_name": app,
                        "user": user,
                        "db": db,
                        "client_ip": e.client,
                        "client_port": e.port,
                    },
                )
            )
        elif kind == "auth_failed":
            out.append(
                (
                    Stream.AUTHENTICATIONS,
                    {
                        **base,
                        "user": attrs.get("user") or e.user,
                        "auth_db": attrs.get("database") or e.db,
                        "result": "failure",
                        "error": e.message.split("\n", 1)[0][:MESSAGE_LIMIT],
                        "client_ip": attrs.get("client") or e.client,
                        "client_port": e.port,
                    },
                )
            )


_PARAMS = re.compile(r"(?:P|p)arameters: (.*)\Z", re.DOTALL)


def _params(detail: str | None) -> str | None:
    """The `$1 = '…'` text of a `DETAIL:  parameters: …` line."""
    if not detail:
        return None
    m = _PARAMS.match(detail)
    return m.group(1) if m else None
