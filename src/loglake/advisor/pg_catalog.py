"""The catalog of a live server — tables, indexes with their columns in order, pg_stats of
some columns — cached per server for `pg_catalog_ttl_s` seconds so repeated scans stay fast.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from loglake.advisor import pg_sql
from loglake.advisor.pg_recommendation import Index, Table

_lock = threading.Lock()
_catalogs: dict[str, tuple[float, dict[str, Table], list[Index]]] = {}
_stats: dict[tuple[str, str, str], tuple[float, dict[str, Any] | None]] = {}


def clear() -> None:
    """Forget every cached catalog (a test, or after DDL the advisor was asked to run)."""
    with _lock:
        _catalogs.clear()
        _stats.clear()


def _read_catalog(conn: Any) -> tuple[dict[str, Table], list[Index]]:
    tables = {}
    for r in conn.execute(pg_sql.TABLES).fetchall():
        tables[r[0]] = Table(
            r[0], max(int(r[1] or 0), 0), int(r[2] or 0), int(r[3]), int(r[5]),
            int(r[6]) + int(r[7]) + int(r[8]), int(r[9]), int(r[10]), r[11],
            (r[12] or "").split(",") if r[12] else [],
            {"seq_tup_read": int(r[4]), "n_tup_ins": int(r[6]), "n_tup_upd": int(r[7]),
             "n_tup_del": int(r[8])},
        )  # fmt: skip
    indexes = [
        Index(
            r[0],
            r[1],
            (r[2] or "").split(","),
            bool(r[3]),
            bool(r[4]),
            bool(r[5]),
            int(r[6]),
            int(r[7]),
            r[8],
        )
        for r in conn.execute(pg_sql.INDEXES).fetchall()
    ]
    return tables, indexes


def catalog(conn: Any, server: str, ttl_s: int) -> tuple[dict[str, Table], list[Index], bool]:
    """(tables, indexes, cached?) of the server's database."""
    now = time.monotonic()
    with _lock:
        hit = _catalogs.get(server)
    if hit is not None and now - hit[0] < ttl_s:
        return hit[1], hit[2], True
    tables, indexes = _read_catalog(conn)
    with _lock:
        _catalogs[server] = (now, tables, indexes)
    return tables, indexes, False


def column_stats(
    conn: Any, server: str, pairs: set[tuple[str, str]], ttl_s: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """pg_stats of (schema.table, column) pairs; columns without statistics are left out."""
    now = time.monotonic()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    missing = []
    with _lock:
        for table, col in pairs:
            hit = _stats.get((server, table, col))
            if hit is not None and now - hit[0] < ttl_s:
                if hit[1] is not None:
                    out[(table, col)] = hit[1]
            elif "." in table:
                missing.append((table, col))
    if missing:
        schemas = [t.split(".", 1)[0] for t, _ in missing]
        names = [t.split(".", 1)[1] for t, _ in missing]
        cols = [c for _, c in missing]
        found = {}
        for r in conn.execute(pg_sql.COLUMN_STATS, [schemas, names, cols]).fetchall():
            found[(r[0], r[1])] = {
                "null_frac": r[2], "n_distinct": r[3], "correlation": r[4],
                "most_common_vals": list(r[5] or [])[:20],
                "most_common_freqs": [float(f) for f in (r[6] or [])][:20],
                "histogram_bounds": _thin(list(r[7] or [])),
            }  # fmt: skip
        with _lock:
            for key in missing:
                _stats[(server, *key)] = (now, found.get(key))
        out.update(found)
    return out


def _thin(bounds: list[str], keep: int = 21) -> list[str]:
    """At most `keep` histogram bounds, first and last included."""
    if len(bounds) <= keep:
        return bounds
    step = (len(bounds) - 1) / (keep - 1)
    return [bounds[round(i * step)] for i in range(keep)]
