"""Slow-query patterns (one per shape) with the sums the advisor reads, and their raw lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loglake.analytics import sql
from loglake.analytics.filters import where
from loglake.errors import LoglakeError
from loglake.schema import Stream

if TYPE_CHECKING:
    from loglake.analytics.session import DuckSession, Session

MAX_PATTERNS = 5000  # the busiest shapes considered; the rest hold a sliver of the time
MAX_EXAMPLE = 16_000  # characters of an example line kept in an answer
# ops whose shape holds a predicate an index may serve
QUERY_OPS = frozenset(
    {"find", "aggregate", "count", "distinct", "update", "delete", "findAndModify", "getMore"}
)


def pattern_rows(
    session: DuckSession, params: dict[str, Any], limit: int = MAX_PATTERNS
) -> list[dict[str, Any]]:
    """The busiest patterns of the filtered slow queries, by total time."""
    clause, values = where(Stream.SLOW_QUERIES, params)
    text = sql.render("advisor_patterns", where=clause)
    with session.snapshot() as cur:
        rows = sql.fetch(cur, text, [*values, limit])
    for row in rows:
        row["first_ts"] = sql.iso(row["first_ts"])
        row["last_ts"] = sql.iso(row["last_ts"])
        row["plan_summaries"] = dict(
            sorted((row["plan_summaries"] or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        )
    return rows


def excess_per_execution(row: dict[str, Any]) -> float:
    """Documents examined beyond those returned (or matched by a write), per execution."""
    return max(row["docs_examined"] - row["matched"], 0) / max(row["count"], 1)


def system_reason(row: dict[str, Any]) -> str | None:
    """Why a pattern's namespace takes no user index (system data, oplog), else None."""
    namespace, db, collection = row["namespace"], row["db"], row["collection"]
    if not namespace or not db or not collection or collection == "$cmd":
        return "the log names no collection for this operation"
    if row.get("is_system"):
        return f"{db} is a system database (the oplog and server metadata live there)"
    if collection.startswith("system."):
        return f"{collection} is a system collection"
    return None


def example_line(session: Session, row: dict[str, Any]) -> dict[str, Any] | None:
    """The pattern's slowest execution: where its line is, and the line itself."""
    sample = row.get("sample")
    if not isinstance(sample, dict) or sample.get("file_id") is None:
        return None
    out = {"file_id": sample["file_id"], "file_offset": sample["file_offset"], "raw": None}
    try:
        raw = session.reader.read_line(
            sample["file_id"], sample["file_offset"], sample["line_length"]
        )
    except (LoglakeError, OSError):
        return out  # the source moved: the location still lets /api/detail try later
    text = raw.decode("utf-8", "replace")
    out["raw"] = text[:MAX_EXAMPLE]
    out["truncated"] = len(text) > MAX_EXAMPLE
    return out
