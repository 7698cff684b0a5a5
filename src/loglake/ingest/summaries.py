"""Precomputed aggregates so dashboards open instantly.

One function computes a summary from a list of Parquet files with DuckDB; it serves the
per-ingest summaries written after each commit, the dataset summary, and
`loglake rebuild-summaries`, which recomputes everything from Parquet alone.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from loglake.ingest.manifest import now_iso, write_json_atomic
from loglake.layout import DATASET_SUMMARY, SUMMARIES, summary_path
from loglake.schema import Stream

TOP_N = 20
# the files are a bound list parameter; `ts` already gives the date, so no hive column
_FILES = "read_parquet(?, hive_partitioning = false)"


def _files(
    root: Path, manifest: dict[str, Any], stream: Stream, ingest_id: str | None
) -> list[str]:
    return sorted(
        str(root / rel)
        for rel, art in manifest["artifacts"].items()
        if art["stream"] == stream.value and (ingest_id is None or art["ingest_id"] == ingest_id)
    )


def _rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def compute_summary(root: Path, manifest: dict[str, Any], ingest_id: str | None) -> dict[str, Any]:
    """Aggregates over the whole dataset, or over one ingest's files."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out: dict[str, Any] = {}
    slow = _files(root, manifest, Stream.SLOW_QUERIES, ingest_id)
    if slow:
        (totals,) = _rows(
            con,
            f"""SELECT count(*) AS count, coalesce(sum(duration_ms), 0) AS total_duration_ms,
                quantile_cont(duration_ms, 0.5) AS p50_ms,
                quantile_cont(duration_ms, 0.95) AS p95_ms,
                quantile_cont(duration_ms, 0.99) AS p99_ms, max(duration_ms) AS max_ms,
                min(ts) AS first_ts, max(ts) AS last_ts FROM {_FILES}""",
            [slow],
        )
        out["slow_queries"] = {k: _iso(v) for k, v in totals.items()}
        out["plans"] = _rows(
            con,
            f"""SELECT coalesce(plan, '(none)') AS plan, count(*) AS count,
                sum(duration_ms) AS total_ms FROM {_FILES} GROUP BY 1 ORDER BY 3 DESC, 1""",
            [slow],
        )
        out["ops"] = _rows(
            con,
            f"""SELECT op, count(*) AS count, sum(duration_ms) AS total_ms
                FROM {_FILES} GROUP BY 1 ORDER BY 3 DESC, 1""",
            [slow],
        )
        out["namespaces"] = _rows(
            con,
            f"""SELECT namespace, count(*) AS count, sum(duration_ms) AS total_ms,
                quantile_cont(duration_ms, 0.95) AS p95_ms FROM {_FILES}
                GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT {TOP_N}""",
            [slow],
        )
        out["heatmap"] = _rows(
            con,
            f"""SELECT isodow(ts) AS day_of_week, hour(ts) AS hour, count(*) AS count,
                sum(duration_ms) AS total_ms FROM {_FILES} GROUP BY 1, 2 ORDER BY 1, 2""",
            [slow],
        )
    auth = _files(root, manifest, Stream.AUTHENTICATIONS, ingest_id)
    if auth:
        (counts,) = _rows(
            con,
            f"""SELECT count(*) FILTER (WHERE result = 'success') AS success,
                count(*) FILTER (WHERE result = 'failure') AS failure FROM {_FILES}""",
            [auth],
        )
        out["authentications"] = {
            **counts,
            "failures_by_user": _rows(
                con,
                f"""SELECT coalesce(user, '') AS user, count(*) AS count FROM {_FILES}
                    WHERE result = 'failure' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_N}""",
                [auth],
            ),
        }
    conns = _files(root, manifest, Stream.CONNECTIONS, ingest_id)
    if conns:
        (counts,) = _rows(
            con,
            f"""SELECT count(*) FILTER (WHERE event = 'accepted') AS accepted,
                count(*) FILTER (WHERE event = 'ended') AS ended,
                count(*) FILTER (WHERE event = 'metadata') AS metadata,
                max(connection_count) AS peak_open,
                count(DISTINCT client_ip) AS unique_hosts FROM {_FILES}""",
            [conns],
        )
        out["connections"] = counts
    events = _files(root, manifest, Stream.EVENTS, ingest_id)
    if events:
        (counts,) = _rows(
            con,
            f"SELECT count(*) AS count, min(ts) AS first_ts, max(ts) AS last_ts FROM {_FILES}",
            [events],
        )
        out["events"] = {k: _iso(v) for k, v in counts.items()}
        out["severities"] = _rows(
            con,
            f"SELECT severity, count(*) AS count FROM {_FILES} GROUP BY 1 ORDER BY 2 DESC, 1",
            [events],
        )
    con.close()
    return out


def write_summaries(
    root: Path, manifest: dict[str, Any], ingest_id: str | None, dataset_too: bool = True
) -> None:
    """Write one ingest's summary (when given) and the dataset summary.

    Without `dataset_too` the dataset summary is left stale (it records the version it was
    computed for, and readers recompute it when that is not the current one).
    """
    meta = {"dataset_version": manifest["dataset_version"], "computed": now_iso()}
    dataset = None
    if ingest_id is not None:
        mine = compute_summary(root, manifest, ingest_id)
        write_json_atomic(summary_path(root, ingest_id), {"ingest_id": ingest_id, **meta, **mine})
        if all(a["ingest_id"] == ingest_id for a in manifest["artifacts"].values()):
            dataset = mine  # the first ingest is the whole dataset
    if dataset is None:
        if not dataset_too:
            return
        dataset = compute_summary(root, manifest, None)
    write_json_atomic(root / DATASET_SUMMARY, {**meta, **dataset})


def rebuild_summaries(root: Path, manifest: dict[str, Any]) -> int:
    """Recompute every summary from the Parquet files alone; returns how many were written."""
    folder = root / SUMMARIES
    if folder.exists():
        for old in folder.glob("ingest-*.json"):
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    ingest_ids = sorted({a["ingest_id"] for a in manifest["artifacts"].values()})
    for ingest_id in ingest_ids:
        write_summaries(root, manifest, ingest_id)
    if not ingest_ids:
        write_summaries(root, manifest, None)
    return len(ingest_ids) + 1
