"""The SQL files of `analytics/sql/`, and turning result rows into JSON-ready dicts.

SQL text is constant: a file may hold `{placeholders}`, but only for identifiers chosen
from a whitelist (`params.py`) and for WHERE clauses built by `filters.where` from constant
fragments. Every value is a bound `?` parameter.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> str:
    """The text of `analytics/sql/<name>.sql`."""
    return resources.files("loglake.analytics").joinpath("sql", f"{name}.sql").read_text()


def render(name: str, **fragments: str) -> str:
    """A SQL file with its whitelisted fragments filled in."""
    return load(name).format(**fragments)


def iso(value: Any) -> str | None:
    """A timestamp as ISO 8601 in UTC with a Z (None stays None)."""
    if value is None:
        return None
    if isinstance(value, int):
        value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def jsonable(value: Any) -> Any:
    """A DuckDB value as something json.dumps accepts (NaN becomes None)."""
    if isinstance(value, dt.date):
        return iso(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return value


def fetch(cur: Any, sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Rows of a query as JSON-ready dicts."""
    result = cur.execute(sql, values)
    names = [d[0] for d in result.description]
    return [{n: jsonable(v) for n, v in zip(names, row, strict=True)} for row in result.fetchall()]


def fetch_one(cur: Any, sql: str, values: list[Any]) -> dict[str, Any]:
    """The single row of an aggregate query."""
    rows = fetch(cur, sql, values)
    return rows[0] if rows else {}
