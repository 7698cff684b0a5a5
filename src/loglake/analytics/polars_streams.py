"""Authentication and connection questions on the Polars engine (`auth.py`, `connections.py`).

Same keys, types, values and order as the DuckDB functions. The one order SQL leaves open,
client-metadata rows with equal counts (`ORDER BY count DESC`), is broken here by the
metadata values themselves (ascending, NULL last).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from loglake.analytics.auth import TOP as AUTH_TOP
from loglake.analytics.buckets import timeline
from loglake.analytics.connections import TOP as CONN_TOP
from loglake.analytics.polars_lake import (
    Snapshot,
    bucket_us,
    bucket_width,
    count_if,
    distinct,
    divide,
    epoch_ms,
    quantile,
    record,
    records,
    sort_limit,
)
from loglake.schema import Stream

_AUTH = Stream.AUTHENTICATIONS
_CONN = Stream.CONNECTIONS

# the columns of sql/auth_logs.sql, in order
AUTH_LOG_COLUMNS = (
    "ts", "host", "user", "auth_db", "mechanism", "result", "error", "error_code",
    "connection_id", "client_ip", "client_port", "file_id", "file_offset", "line_length",
)  # fmt: skip

# client-metadata breakdowns: name -> columns (the same as connections._METADATA)
METADATA = {
    "drivers": ("driver_name", "driver_version"),
    "apps": ("app_name",),
    "os": ("os_type", "os_name"),
}


def _is(column: str, value: str) -> pl.Expr:
    return pl.col(column) == value


def auth_summary(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """Successes and failures in total, by user, IP and mechanism, reasons and a timeline."""
    frame = snap.frame(_AUTH, params)
    success, failure = count_if(_is("result", "success")), count_if(_is("result", "failure"))
    out = record(
        frame.select(
            success=success,
            failure=failure,
            users=distinct("user"),
            client_ips=distinct("client_ip"),
            first_ts=pl.col("ts").min(),
            last_ts=pl.col("ts").max(),
        ).collect()
    )
    for name, column in (
        ("by_user", "user"),
        ("by_ip", "client_ip"),
        ("by_mechanism", "mechanism"),
    ):
        grouped = frame.group_by(pl.col(column).alias("key")).agg(
            success=success,
            failure=failure,
            last_failure=pl.col("ts").filter(_is("result", "failure")).max(),
        )
        top = sort_limit(grouped, ["failure", "success", "key"], [True, True, False], AUTH_TOP)
        out[name] = records(top)
    failures = snap.frame(_AUTH, {**params, "result": "failure"})
    reasons = failures.group_by(pl.col("error").alias("key")).agg(count=pl.len())
    out["failure_reasons"] = records(sort_limit(reasons, ["count", "key"], [True, False], AUTH_TOP))
    width = bucket_width(frame, params["bucket"])
    out["bucket_seconds"] = width // 1_000_000
    series = frame.group_by(bucket_us(width)).agg(success=success, failure=failure)
    out["timeline"] = timeline(records(series.sort("bucket_us", nulls_last=True).collect()))
    return out


def auth_logs(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """One page of authentication attempts, newest first, and how many match."""
    frame = snap.frame(_AUTH, params)
    page = sort_limit(
        frame.select(AUTH_LOG_COLUMNS),
        ["ts", "file_id", "file_offset"],
        [True, False, True],
        params["limit"],
        params["offset"],
    )
    return {
        "rows": records(page),
        "total": frame.select(pl.len()).collect().item(),
        "limit": params["limit"],
        "offset": params["offset"],
    }


def _sessions(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """Session durations: each ended connection paired with its accepted event (conn_sessions)."""
    conn = pl.coalesce(
        pl.col("uuid"), pl.col("file_id") + ":" + pl.col("connection_id").cast(pl.String)
    ).alias("conn")
    accepted = (
        snap.frame(_CONN, params, _is("event", "accepted"))
        .group_by(conn)
        .agg(opened=pl.col("ts").min())
    )
    ended = (
        snap.frame(_CONN, params, _is("event", "ended"))
        .group_by(conn)
        .agg(closed=pl.col("ts").max())
    )
    seconds = (
        accepted.join(ended, on="conn", how="inner")
        .filter(pl.col("closed") >= pl.col("opened"))
        .select(seconds=divide(epoch_ms("closed"), 1000.0) - divide(epoch_ms("opened"), 1000.0))
    )
    s = pl.col("seconds")
    return record(
        seconds.select(
            count=pl.len(),
            avg_s=s.mean(),
            p50_s=quantile(s, 0.5),
            p95_s=quantile(s, 0.95),
            max_s=s.max(),
            under_1s=count_if(s < 1),
            s1_10=count_if((s >= 1) & (s < 10)),
            s10_60=count_if((s >= 10) & (s < 60)),
            m1_10=count_if((s >= 60) & (s < 600)),
            m10_60=count_if((s >= 600) & (s < 3600)),
            over_1h=count_if(s >= 3600),
        ).collect()
    )


def connections(snap: Snapshot, params: dict[str, Any]) -> dict[str, Any]:
    """Accepted/ended totals, peak open, unique hosts, by IP, drivers, apps, sessions."""
    frame = snap.frame(_CONN, params)
    accepted, ended = count_if(_is("event", "accepted")), count_if(_is("event", "ended"))
    out = record(
        frame.select(
            accepted=accepted,
            ended=ended,
            peak_open=pl.col("connection_count").max(),
            unique_hosts=pl.col("client_ip")
            .filter(_is("event", "accepted"))
            .drop_nulls()
            .n_unique(),
            first_ts=pl.col("ts").min(),
            last_ts=pl.col("ts").max(),
        ).collect()
    )
    by_ip = frame.group_by(pl.col("client_ip").alias("key")).agg(accepted=accepted, ended=ended)
    out["by_ip"] = records(
        sort_limit(by_ip, ["accepted", "ended", "key"], [True, True, False], CONN_TOP)
    )
    metadata = snap.frame(_CONN, params, _is("event", "metadata"))
    for name, columns in METADATA.items():
        counts = metadata.group_by(columns).agg(count=pl.len())
        by = ["count", *columns]
        top = sort_limit(counts, by, [True] + [False] * len(columns), CONN_TOP)
        out[name] = records(top.select(*columns, "count"))
    width = bucket_width(frame, params["bucket"])
    out["bucket_seconds"] = width // 1_000_000
    series = frame.group_by(bucket_us(width)).agg(
        accepted=accepted, ended=ended, open=pl.col("connection_count").max()
    )
    out["timeline"] = timeline(records(series.sort("bucket_us", nulls_last=True).collect()))
    out["sessions"] = _sessions(snap, params)
    return out
