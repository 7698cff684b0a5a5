"""Time buckets for series: fixed widths, or the finest that keeps a chart readable."""

from __future__ import annotations

from typing import Any

from loglake.analytics import sql
from loglake.schema import Stream

# bucket name -> width in microseconds; "auto" picks the first giving at most MAX_BUCKETS
BUCKET_US = {
    "1m": 60_000_000,
    "5m": 300_000_000,
    "15m": 900_000_000,
    "1h": 3_600_000_000,
    "6h": 21_600_000_000,
    "1d": 86_400_000_000,
}
MAX_BUCKETS = 240
# histograms of retrieval (`/api/logs/aggregate`) also zoom below a minute
FINE_US = {"1s": 1_000_000, "5s": 5_000_000, "10s": 10_000_000, "30s": 30_000_000}
HISTOGRAM_BUCKETS = ("auto", *FINE_US, *BUCKET_US)
HISTOGRAM_BARS = 120  # at most this many bars in an automatic histogram


def histogram_width(bucket: str) -> int:
    """The width in microseconds of a named histogram bucket."""
    return {**FINE_US, **BUCKET_US}[bucket]


def histogram_auto_width(span_us: int) -> int:
    """The finest histogram bucket giving at most HISTOGRAM_BARS bars over a span."""
    for width in (*FINE_US.values(), *BUCKET_US.values()):
        if span_us // width < HISTOGRAM_BARS:
            return width
    day = BUCKET_US["1d"]  # longer: whole multiples of a day
    return day * (span_us // (day * HISTOGRAM_BARS) + 1)


def bucket_width(cur: Any, stream: Stream, clause: str, values: list[Any], bucket: str) -> int:
    """The bucket width in microseconds for a series over the filtered rows of a stream."""
    if bucket != "auto":
        return BUCKET_US[bucket]
    span = sql.fetch_one(cur, sql.render("trend_range", stream=stream.value, where=clause), values)
    return auto_width(span)


def auto_width(span: dict[str, Any]) -> int:
    """The finest width giving at most MAX_BUCKETS over a `{first_us, last_us}` time range."""
    first, last = span.get("first_us"), span.get("last_us")
    length = (last - first) if first is not None and last is not None else 0
    for width in BUCKET_US.values():
        if length // width < MAX_BUCKETS:
            return width
    return BUCKET_US["1d"]


def timeline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with a `bucket_us` column, that column turned into an ISO `t`."""
    for row in rows:
        row["t"] = sql.iso(row.pop("bucket_us"))
    return rows
