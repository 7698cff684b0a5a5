"""Ad-hoc SQL for power users (`loglake query`), over the same views as every question."""

from __future__ import annotations

from typing import Any

from loglake.analytics import sql
from loglake.errors import InputError

MAX_ROWS = 1_000_000


def run_sql(lake: Any, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows (JSON-ready values) of one SQL statement, at most MAX_ROWS."""
    if lake is None:
        raise InputError("loglake query needs DuckDB (LOGLAKE_DISABLE_DUCKDB is set)")
    import duckdb

    with lake.snapshot() as cur:
        try:
            result = cur.execute(text)
            if result.description is None:
                return [], []
            columns = [d[0] for d in result.description]
            rows = result.fetchmany(MAX_ROWS)
        except duckdb.Error as exc:
            raise InputError(f"SQL error: {exc}") from None
    return columns, [tuple(sql.jsonable(v) for v in row) for row in rows]
