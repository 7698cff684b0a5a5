"""Rollups of slow queries: small tables written after each commit, so filtered questions
add up a few thousand rows instead of scanning millions.

Two rollups are declared here, once (`ROLLUPS`): `hourly` (UTC hour x the keys below: count,
sums, min/max, first/last ts, a shape and the slowest sample) and `durations` (UTC hour x the
keys x duration_ms: how many), from which percentiles are exact (`rollup_percentiles.sql`).
Their key columns carry the slow_queries names, their hour is `ts` and their partition
`date`, so `filters.where` builds the same WHERE clause for a rollup as for the rows.

They live under `rollups/`: `index.json` lists parts, each part a pair of Parquet files
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
from datetime import datetime
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from loglake.analytics import sql
from loglake.analytics.filters import applicable
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
VIEWS = {"hourly": "slow_queries_hourly", "durations": "slow_queries_durations"}


@dataclass(frozen=True)
class Rollup:
    """One rollup of slow queries: its name, what a row is, and the SQL that builds it."""

    name: str
    doc: str
    sql: str  # analytics/sql/<sql>.sql, with {keys}

    @property
    def view(self) -> str:
        """Its view over the parts of the current dataset version."""
        return VIEWS[self.name]

    def build_sql(self) -> str:
        """The SELECT over a `slow_queries` view that computes it."""
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


def percentiles_sql(group: str, columns: str, clause: str) -> str:
    """Percentiles per `group` of the durations rollup rows selected by `clause`."""
    return sql.render("rollup_percentiles", group=group, columns=columns, where=clause)


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
