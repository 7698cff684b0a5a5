"""PostgreSQL's server messages (other than statements) -> an `events.attrs` kind and fields:
connections, authentication, checkpoints, autovacuum, temp files, locks, deadlocks and
cancellations. The vocabulary is docs/internals.md "PostgreSQL rows"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loglake.formats.postgres.entries import Entry

_RECEIVED = re.compile(r"connection received: host=(?P<host>\S+?)(?: port=(?P<port>\d+))?\s*$")
_AUTHORIZED = re.compile(r"connection authorized: (?P<kv>.*)", re.DOTALL)
_AUTHENTICATED = re.compile(
    r'connection authenticated: (?:identity="(?P<identity>[^"]*)" )?method=(?P<method>[\w\-]+)'
)
_KV = re.compile(r"(\w+)=(\S+)")
_DISCONNECTION = re.compile(
    r"disconnection: session time: (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)(?P<kv>.*)"
)
_PASSWORD = re.compile(r'password authentication failed for user "(?P<user>[^"]*)"')
_NO_HBA = re.compile(
    r'no pg_hba\.conf entry for (?:replication connection from )?host "(?P<host>[^"]*)"'
    r'(?:, user "(?P<user>[^"]*)")?(?:, database "(?P<db>[^"]*)")?'
)
_AUTH_OTHER = re.compile(
    r'(?:\w+ )?authentication failed for user "(?P<user>[^"]*)"'
    r'|role "(?P<role>[^"]*)" does not exist'
)
_CHECKPOINT_START = re.compile(r"(?P<what>checkpoint|restartpoint) starting: (?P<reason>.*)")
_CHECKPOINT_DONE = re.compile(
    r"(?P<what>checkpoint|restartpoint) complete: wrote (?P<buffers>\d+) buffers"
    r".*?(?:(?P<added>\d+) (?:WAL|transaction log) file\(s\) added, (?P<removed>\d+) removed,"
    r" (?P<recycled>\d+) recycled; )?write=(?P<write>[\d.]+) s, sync=(?P<sync>[\d.]+) s,"
    r" total=(?P<total>[\d.]+) s"
    r"(?:.*?distance=(?P<distance>\d+) kB, estimate=(?P<estimate>\d+) kB)?",
    re.DOTALL,
)
_AUTOVACUUM = re.compile(
    r"automatic (?P<aggressive>aggressive )?vacuum (?:to prevent wraparound )?"
    r'of table "(?P<table>[^"]+)":'
    r"(?: index scans: (?P<scans>\d+))?",
)
_AUTOANALYZE = re.compile(r'automatic analyze of table "(?P<table>[^"]+)"')
_PAGES = re.compile(r"pages: (?P<removed>\d+) removed, (?P<remain>\d+) remain")
_TUPLES = re.compile(r"tuples: (?P<removed>\d+) removed, (?P<remain>\d+) remain")
_ELAPSED = re.compile(r"elapsed:? (?P<s>[\d.]+) s")
_TEMP = re.compile(r'temporary file: path "(?P<path>[^"]+)", size (?P<size>\d+)')
_LOCK = re.compile(
    r"process (?P<pid>\d+) (?P<state>still waiting for|acquired) (?P<mode>\w+) on (?P<target>.+?)"
    r" after (?P<ms>[\d.]+) ms"
)
_HOLDERS = re.compile(r"Process(?:es)? holding the lock: (?P<pids>[\d, ]+)\.")
_CANCEL = re.compile(r"canceling (?:statement|autovacuum task|the wait)(?: due to (?P<why>.*))?")
_CANCEL_REASONS = {
    "statement timeout": "statement_timeout",
    "user request": "user_request",
    "lock timeout": "lock_timeout",
}


def _kv(text: str) -> dict[str, str]:
    return dict(_KV.findall(text))


def _connection(message: str) -> dict[str, Any] | None:
    if m := _RECEIVED.match(message):
        port = int(m["port"]) if m["port"] else None
        return {"kind": "connection_received", "client": m["host"], "port": port}
    if m := _AUTHENTICATED.match(message):
        return {
            "kind": "connection_authenticated",
            "method": m["method"],
            "identity": m["identity"],
        }
    if m := _AUTHORIZED.match(message):
        kv = _kv(m["kv"])
        attrs: dict[str, Any] = {"kind": "connection_authorized"}
        for key in ("user", "database", "application_name", "method"):
            if key in kv:
                attrs[key] = kv[key]
        return attrs
    if m := _DISCONNECTION.match(message):
        ms = (int(m["h"]) * 3600 + int(m["m"]) * 60 + float(m["s"])) * 1000
        kv = _kv(m["kv"])
        port = int(kv["port"]) if kv.get("port", "").isdigit() else None
        return {
            "kind": "disconnection",
            "session_ms": round(ms, 3),
            "user": kv.get("user"),
            "database": kv.get("database"),
            "client": kv.get("host"),
            "port": port,
        }
    return None


def _auth_failure(message: str) -> dict[str, Any] | None:
    if m := _PASSWORD.search(message):
        return {"kind": "auth_failed", "reason": "password", "user": m["user"]}
    if m := _NO_HBA.search(message):
        return {
            "kind": "auth_failed",
            "reason": "no_hba",
            "user": m["user"],
            "database": m["db"],
            "client": m["host"],
        }
    if m := _AUTH_OTHER.search(message):
        return {"kind": "auth_failed", "reason": "other", "user": m["user"] or m["role"]}
    return None


def _maintenance(message: str) -> dict[str, Any] | None:
    if m := _CHECKPOINT_START.match(message):
        return {"kind": f"{m['what']}_starting", "reason": m["reason"].strip()}
    if m := _CHECKPOINT_DONE.match(message):
        attrs: dict[str, Any] = {"kind": f"{m['what']}_complete", "buffers": int(m["buffers"])}
        for key, group in (("write_s", "write"), ("sync_s", "sync"), ("total_s", "total")):
            attrs[key] = float(m[group])
        for key, group in (
            ("distance_kb", "distance"),
            ("estimate_kb", "estimate"),
            ("wal_added", "added"),
            ("wal_removed", "removed"),
            ("wal_recycled", "recycled"),
        ):
            attrs[key] = int(m[group]) if m[group] is not None else None
        return attrs
    if m := _AUTOVACUUM.match(message):
        attrs = {"kind": "autovacuum", "table": m["table"]}
        attrs["index_scans"] = int(m["scans"]) if m["scans"] else None
        if p := _PAGES.search(message):
            attrs["pages_removed"] = int(p["removed"])
        if t := _TUPLES.search(message):
            attrs["tuples_removed"], attrs["tuples_remain"] = int(t["removed"]), int(t["remain"])
        if el := _ELAPSED.search(message):
            attrs["elapsed_s"] = float(el["s"])
        return attrs
    if m := _AUTOANALYZE.match(message):
        el = _ELAPSED.search(message)
        return {
            "kind": "autoanalyze",
            "table": m["table"],
            "elapsed_s": float(el["s"]) if el else None,
        }
    return None


def _locks(e: Entry, message: str) -> dict[str, Any] | None:
    if m := _TEMP.match(message):
        return {"kind": "temp_file", "path": m["path"], "size_bytes": int(m["size"])}
    if m := _LOCK.match(message):
        attrs: dict[str, Any] = {
            "mode": m["mode"],
            "target": m["target"],
            "wait_ms": float(m["ms"]),
        }
        if m["state"] == "acquired":
            return {"kind": "lock_acquired", **attrs}
        h = _HOLDERS.search(e.detail or "")
        holders = [int(p) for p in h["pids"].replace(" ", "").split(",") if p] if h else []
        return {"kind": "lock_wait", **attrs, "holders": holders}
    if message.startswith("deadlock detected"):
        return {"kind": "deadlock"}
    if m := _CANCEL.match(message):
        why = (m["why"] or "").strip()
        return {"kind": "cancel", "reason": _CANCEL_REASONS.get(why, "other")}
    return None


def classify(e: Entry, message: str) -> dict[str, Any]:
    """The attrs (with `kind`) of a message that is not a statement or a duration."""
    found = _connection(message) or _maintenance(message) or _locks(e, message)
    if found is None and e.severity in ("FATAL", "ERROR", "PANIC"):
        found = _auth_failure(message) if e.severity == "FATAL" else None
        if found is None:
            found = {"kind": "error"}
    return found or {"kind": "other"}
