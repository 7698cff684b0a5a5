"""The `pg_simulations` stream: every completed simulation of a recommendation.

Written by `loglake pg simulate` and `POST /api/pg/simulate` (advisor/pg_simulate.py), one
row per run, so a statement's page lists what was tried, when, and what it gave. `ts` and
`captured_at` are when the simulation finished; `snapshot_id` is the snapshot whose
statement and recommendation it replayed.
"""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_simulations",
    doc="Simulations of the live PostgreSQL advisor's recommendations, one row per run.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("simulation_id", "str", "the run"),
        Column("query_id", "str", "the statement simulated (pg_stat_statements' queryid)"),
        Column("rec_id", "str", "the recommendation simulated"),
        Column("mode", "str", "hypopg (hypothetical index) or real (sandbox copies)"),
        Column("type", "str", "the recommendation's type (missing_index, …)"),
        Column("ddl", "str", "the recommendation's DDL"),
        Column("params_source", "str", "the values the statement was planned with"),
        Column("before_cost", "f64", "plan cost without the change"),
        Column("after_cost", "f64", "plan cost with it"),
        Column("before_ms", "f64", "EXPLAIN ANALYZE time without the change (real mode)"),
        Column("after_ms", "f64", "EXPLAIN ANALYZE time with it (real mode)"),
        Column("improvement_pct", "f64", "plan cost cut, in percent"),
        Column("plan_changes", "str", "JSON array: 'Seq Scan → Index Scan on orders', …"),
        Column("before_nodes", "str", "JSON array: the plan's nodes without the change"),
        Column("after_nodes", "str", "JSON array: the plan's nodes with it"),
        Column("before_plan", "str", "EXPLAIN (FORMAT JSON) without the change"),
        Column("after_plan", "str", "EXPLAIN (FORMAT JSON) with it"),
        Column("seconds", "f64", "how long the simulation took"),
    ),
)
