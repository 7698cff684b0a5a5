"""Rollups of slow queries: small tables written after each commit, so filtered questions
add up a few thousand rows instead of scanning millions.

The rollups are declared here, once (`ROLLUPS`): `hourly` (UTC hour x the keys below:
count, sums, min/max, first/last ts, a shape and the slowest sample), `durations` (UTC hour
x the keys x duration_ms: how many) and `daily_durations` (the same per UTC day, for whole
days: far fewer rows), from which percentiles are exact (`rollup_percentiles.sql`). Their
key columns carry the slow_queries names, their hour (day) is `ts` and their partition
`date`, so `filters.where` builds the same WHERE clause for a rollup as for the rows.

They live under `rollups/`: `index.json` lists parts, each part one Parquet file per rollup,
that covers a set of committed slow_queries files (`rollup_writer.py` writes them). A
dataset version is answered from rollups only when its parts cover exactly its files:
`usable_parts` decides it while `engine.Lake` builds the views of that version, in the
same transaction, so a question never mixes rollups of one version with rows of another.
Whether a question's filters allow rollups is decided here too (`covers`), for every
question alike; everything else keeps the raw scan.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from loglake.analytics import sql
from loglake.analytics.filters import applicable, where
from loglake.layout import ROLLUP_INDEX
from loglake.schema import Stream
from loglake.store.fs import LakeFS
from loglake.store.manifest import Location

HOUR_US = 3_600_000_000

# what a rollup row is per hour: the columns filters and group_by may name (slow_queries names)
KEYS = (
    "engine",
    "db",
    "collection",
    "namespace",
    "op",
    "plan",
    "app_name",
    "shape_hash",
    "is_system",
)
# a rollup's name -> its view in the lake's DuckDB catalog
VIEWS = {
    "hourly": "slow_queries_hourly",
    "durations": "slow_queries_durations",
    "daily_durations": "slow_queries_daily_durations",
}


@dataclass(frozen=True)
class Rollup:
    """One rollup of slow queries: its name, what a row is, and the SQL that builds it."""

    name: str
    doc: str
    sql: str  # analytics/sql/<sql>.sql, with {keys}
    source: str = "slow_queries"  # what it is computed from: the rows or an earlier rollup

    @property
    def view(self) -> str:
        """Its view over the parts of the current dataset version."""
        return VIEWS[self.name]

    def build_sql(self) -> str:
        """The SELECT over its source's view (`slow_queries` or a rollup) computing it."""
        return sql.render(self.sql, keys=", ".join(KEYS))


ROLLUPS = (
    Rollup(
        "hourly",
        "per UTC hour and keys: count, sums, min/max, first/last ts, sample",
        "rollup_hourly",
    ),
    Rollup(
        "durations", "per UTC hour, keys and duration_ms: how many slow queries", "rollup_durations"
    ),
    Rollup(
        "daily_durations",
        "durations per UTC day instead of hour (percentiles over whole days)",
        "rollup_daily_durations",
        source="durations",
    ),
)


@cache
def rollup_schema() -> str:
    """A fingerprint of what the rollups hold: parts written with other SQL are rebuilt."""
    text = "\n".join(r.build_sql() for r in ROLLUPS)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def on_hour(value: datetime) -> bool:
    """True when a time bound falls on a whole UTC hour (so hourly rows split there)."""
    return value.minute == 0 and value.second == 0 and value.microsecond == 0


def covers(
    params: dict[str, Any],
    *,
    key: str | None = None,
    bucket_us: int | None = None,
    by_duration: bool = False,
) -> bool:
    """True when the rollups answer a question with these filters exactly: every filter set
    names a rollup key (or a time bound on the hour), `key` (a group_by column) is a rollup
    key and `bucket_us` whole hours. `by_duration`: the answer is a count, which the
    durations rollup gives under min_ms/max_ms too (sums and percentiles need the rows)."""
    if params.get("q"):
        return False
    if key is not None and key not in KEYS:
        return False
    if bucket_us is not None and bucket_us % HOUR_US:
        return False
    for name, column, _ in applicable(Stream.SLOW_QUERIES):
        value = params.get(name)
        if value is None:
            continue
        if column == "ts":
            if not on_hour(value):
                return False
        elif column == "duration_ms":
            if not by_duration:
                return False
        elif column not in KEYS:
            return False
    return True


def ready(cur: Any) -> bool:
    """True when the snapshot of this cursor has rollups of exactly its dataset version."""
    return bool(cur.execute("SELECT rollups FROM lake_version").fetchall()[0][0])


def use(cur: Any, params: dict[str, Any], **needs: Any) -> bool:
    """True when a question asked on this snapshot is answered from the rollups."""
    return covers(params, **needs) and ready(cur)


def percentiles(
    params: dict[str, Any],
    group: str,
    columns: str,
    quantiles: tuple[float, ...],
    extra: tuple[str, tuple[Any, ...]] = ("", ()),
    by_hour: bool = False,
) -> tuple[str, list[Any]]:
    """The SQL of `quantiles` per `group` (`columns` of the durations rows give it) of the
    slow queries the filters (and `extra`, a clause and its values) select, and its values."""
    source, values = durations_source(params, extra, by_hour)
    n = range(len(quantiles))
    picks = ", ".join(
        f"min(duration_ms) FILTER (WHERE upto > floor(last * q{i})) AS lo{i}, "
        f"min(duration_ms) FILTER (WHERE upto > ceil(last * q{i})) AS hi{i}, "
        f"any_value(last * q{i}) AS pos{i}"
        for i in n
    )
    names = [c.strip() for c in group.split(",")]
    text = sql.render(
        "rollup_percentiles",
        group=group,
        ordered=", ".join(f"d.{g}" for g in names),
        joined=" AND ".join(f"d.{g} IS NOT DISTINCT FROM g.{g}" for g in names),
        columns=columns,
        source=source,
        quantiles="SELECT " + ", ".join(f"CAST(? AS DOUBLE) AS q{i}" for i in n),
        picks=picks,
        values=", ".join(f"lo{i} + (hi{i} - lo{i}) * (pos{i} - floor(pos{i}))" for i in n),
        bounds=", ".join(f"struct_pack(lo := lo{i}, hi := hi{i}, pos := pos{i})" for i in n),
    )
    return text, [*values, *quantiles]


def durations_source(
    params: dict[str, Any], extra: tuple[str, tuple[Any, ...]] = ("", ()), by_hour: bool = False
) -> tuple[str, list[Any]]:
    """The durations rows of the filtered slow queries and their values: whole days from
    `daily_durations`, the hours before the first and after the last whole day from
    `durations` (all of them from `durations` with `by_hour`)."""
    low, high = params.get("from"), params.get("to")
    day_low = _day_start(low, up=True) if low is not None else None
    day_high = _day_start(high, up=False) if high is not None else None
    if by_hour or (day_low is not None and day_high is not None and day_low >= day_high):
        return _select("durations", params, extra)
    pieces = [_select("daily_durations", {**params, "from": day_low, "to": day_high}, extra)]
    if low is not None and low < day_low:
        pieces.append(_select("durations", {**params, "to": day_low}, extra))
    if high is not None and day_high is not None and day_high < high:
        pieces.append(_select("durations", {**params, "from": day_high}, extra))
    text = " UNION ALL BY NAME ".join(f"({piece})" for piece, _ in pieces)
    return text, [value for _, values in pieces for value in values]


def _select(
    rollup: str, params: dict[str, Any], extra: tuple[str, tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    clause, values = where(Stream.SLOW_QUERIES, params, *extra)
    return sql.render("rollup_source", rollup=VIEWS[rollup], where=clause), values


def _day_start(value: datetime, up: bool) -> datetime:
    """The start of a UTC day: the bound's own day, or the next one (`up`) when mid-day."""
    start = value.replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1) if up and start != value else start


def count_source(params: dict[str, Any]) -> tuple[str, list[Any]]:
    """The SQL counting the filtered slow queries from the rollups, and its values."""
    if params.get("min_ms") is None and params.get("max_ms") is None:
        source, values = _select("hourly", params, ("", ()))
        return sql.render("rollup_count", rows="count", source=source), values
    source, values = durations_source(params)
    return sql.render("rollup_count", rows="n", source=source), values


def interpolate(bounds: list[dict[str, float]] | None) -> list[float] | None:
    """quantile_cont's values from `bounds` (rollup_percentiles.sql), to the last bit: DuckDB
    computes lo * (1 - d) + hi * d with one fused multiply-add (Fraction makes it exact)."""
    if bounds is None:
        return None
    out = []
    for b in bounds:
        lo, hi, pos = b["lo"], b["hi"], b["pos"]
        d = pos - math.floor(pos)
        out.append(lo if d == 0 else float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d)))
    return out


# The index of parts ---------------------------------------------------------------------


def read_index(root: Path | str) -> dict[str, Any]:
    """`rollups/index.json` (an empty index when it is absent or unreadable)."""
    try:
        data = json.loads(LakeFS(root).read(ROLLUP_INDEX))
    except (OSError, ValueError):
        return {"parts": []}
    if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
        return {"parts": []}
    return data


def usable_parts(index: dict[str, Any], locations: list[Location]) -> list[dict[str, Any]] | None:
    """The parts answering for exactly these slow_queries files, or None (raw scans then):
    parts of today's rollup schema whose covered files, disjoint, are exactly the files."""
    wanted = {loc.key for loc in locations}
    if not wanted:
        return None
    parts = [p for p in index["parts"] if p.get("schema") == rollup_schema()]
    covered: list[str] = [key for part in parts for key in part.get("covers", [])]
    if len(covered) != len(set(covered)) or set(covered) != wanted:
        return None
    return parts
