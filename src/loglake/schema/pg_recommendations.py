"""The `pg_recommendations` stream: what the advisor's rules found in a snapshot."""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_recommendations",
    doc="Recommendations of the live PostgreSQL advisor, one row per finding per snapshot.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("rec_id", "str", "stable id: a hash of type, target and statement"),
        Column("query_id", "str", "the statement it helps (empty for an index finding)"),
        Column("type", "str", "missing_index, composite_index, rewrite, redundant_index, stats"),
        Column("target", "str", "table(column, column) or the index"),
        Column("ddl", "str", "CREATE INDEX CONCURRENTLY …, DROP INDEX …, ANALYZE …, a sketch"),
        Column("rationale", "str", "why, in plain words"),
        Column("confidence", "f64", "0..1 (missing > composite > stats > rewrite > redundant)"),
        Column("risk", "str", "write overhead, locks, size"),
        Column("evidence", "str", "JSON: the facts used"),
        Column("before_cost", "f64", "plan cost without the change (hypopg check)"),
        Column("after_cost", "f64", "plan cost with the hypothetical index"),
        Column("improvement_pct", "f64", "plan cost cut, in percent"),
        Column("saved_ms", "f64", "calls x mean_ms x improvement: time the change would save"),
    ),
)
