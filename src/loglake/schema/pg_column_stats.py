"""The `pg_column_stats` stream: pg_stats of the columns the top statements filter, join or
sort on."""

from __future__ import annotations

from loglake.schema.base import COMMON, PG_SNAPSHOT, Column, StreamSpec

SPEC = StreamSpec(
    name="pg_column_stats",
    doc="pg_stats of the columns the top statements use, one row per column per snapshot.",
    from_logs=False,
    columns=(
        *COMMON,
        *PG_SNAPSHOT,
        Column("table_name", "str", "schema.table"),
        Column("column_name", "str", "column"),
        Column("null_frac", "f64", "fraction of NULLs"),
        Column("n_distinct", "f64", "distinct values (negative: a fraction of the rows)"),
        Column("correlation", "f64", "physical order vs the column's order (-1..1)"),
        Column("most_common_vals", "str", "JSON array of the most common values (text)"),
        Column("most_common_freqs", "str", "JSON array of their frequencies"),
        Column("histogram_bounds", "str", "JSON array of histogram bounds (text, at most 21)"),
    ),
)
