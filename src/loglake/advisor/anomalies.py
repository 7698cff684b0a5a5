"""Anomalies by robust statistics (median and MAD) per query pattern.

Two kinds: single executions far above their pattern's usual duration, and time buckets
where a pattern's count or latency spikes versus its own buckets. The score is the modified
z-score 0.6745 * (x - median) / MAD (Iglewicz and Hoaglin; 3.5 is the classic threshold); when
MAD is 0 (more than half the values equal) it falls back to (x - median) / (1.253314 *
mean absolute deviation), and a pattern whose values are all equal has no anomaly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loglake.analytics import sql
from loglake.analytics.buckets import bucket_width
from loglake.analytics.filters import where
from loglake.errors import InputError
from loglake.schema import Stream

if TYPE_CHECKING:
    from loglake.analytics.session import DuckSession

MAX_BUCKETS = 5_000
_SLOW = Stream.SLOW_QUERIES
_PRESENT = "shape_hash IS NOT NULL AND duration_ms IS NOT NULL AND ts IS NOT NULL"
_LOCATOR = ("file_id", "file_offset", "line_length")


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _executions(cur: Any, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Executions scoring above the threshold, highest score first, and how many there are."""
    clause, values = where(_SLOW, params, _PRESENT)
    rows = sql.fetch(
        cur,
        sql.render("anomaly_executions", where=clause),
        [*values, params["min_count"], params["threshold"], params["min_ratio"], params["limit"]],
    )
    total = rows[0]["total"] if rows else 0
    out = []
    for row in rows:
        del row["total"]
        row["sample"] = {k: row.pop(k) for k in _LOCATOR}
        row["ts"] = sql.iso(row["ts"])
        row["score"] = _round(row["score"])
        out.append({"kind": "slow_execution", **row})
    return out, total


def _buckets(cur: Any, params: dict[str, Any], width: int) -> tuple[list[dict[str, Any]], int]:
    """Buckets whose count or latency scores above the threshold, and how many there are."""
    clause, values = where(_SLOW, params, _PRESENT)
    span = sql.fetch_one(cur, sql.render("trend_range", stream=_SLOW.value, where=clause), values)
    if (
        span.get("first_us") is not None
        and (span["last_us"] - span["first_us"]) // width > MAX_BUCKETS
    ):
        raise InputError(
            f"the time range holds more than {MAX_BUCKETS:,} buckets of this width; "
            "choose a wider bucket or a shorter range (from/to)"
        )
    rows = sql.fetch(
        cur,
        sql.render("anomaly_buckets", where=clause),
        [
            width, width, *values, params["min_count"], width, params["min_buckets"],
            params["threshold"], params["min_ratio"], params["min_count"], params["limit"],
        ],
    )  # fmt: skip
    total = rows[0]["total"] if rows else 0
    for row in rows:
        del row["total"]
        row["bucket"] = sql.iso(row.pop("bucket_us"))
        row["bucket_seconds"] = width // 1_000_000
        row["score"] = _round(row["score"])
    return rows, total


def _tags(anomalies: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per shape_hash, how many anomalies of each kind were listed (for tags on pages)."""
    tags: dict[str, dict[str, int]] = {}
    for row in anomalies:
        kinds = tags.setdefault(row["shape_hash"], {})
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    return tags


def anomalies(session: DuckSession, params: dict[str, Any]) -> dict[str, Any]:
    """Slow executions and count/latency spikes per pattern, highest score first."""
    with session.snapshot() as cur:
        clause, values = where(_SLOW, params, _PRESENT)
        width = bucket_width(cur, _SLOW, clause, values, params["bucket"])
        executions, executions_total = _executions(cur, params)
        buckets, buckets_total = _buckets(cur, params, width)
    return {
        "threshold": params["threshold"],
        "min_count": params["min_count"],
        "min_ratio": params["min_ratio"],
        "bucket_seconds": width // 1_000_000,
        "executions": executions,
        "executions_total": executions_total,
        "buckets": buckets,
        "buckets_total": buckets_total,
        "by_pattern": _tags(executions + buckets),
    }
