"""The advisor's questions, registered like every other module's (see analytics/registry.py).

Each answers from the lake through its session only (`analytics/session.py`): snapshots,
raw lines and other questions, never the service's internals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loglake.analytics.params import BUCKET, SLOW_FILTERS, Param, limit
from loglake.analytics.registry import Cli, Question, on_cursor, on_session
from loglake.schema import Stream

if TYPE_CHECKING:
    from loglake.analytics.registry import Registry

_SLOW = (Stream.SLOW_QUERIES,)
# built on `patterns` only, which the Polars engine answers too
FAMILIES = on_session("loglake.advisor.families:families")

SIMILARITY = Param(
    "similarity",
    "float",
    "Jaccard similarity of shape tokens that merges families (1 = same fields only)",
    0.7,
    minimum=0.3,
    maximum=1,
)
ANOMALY_PARAMS = (
    BUCKET,
    Param(
        "threshold", "float", "modified z-score above which a value is anomalous", 3.5,
        minimum=1, maximum=100,
    ),
    Param(
        "min_count", "int", "executions a pattern needs for a baseline (and a count spike)", 5,
        minimum=3, maximum=1_000_000,
    ),
    Param(
        "min_buckets", "int", "buckets a pattern needs for a bucket baseline", 5,
        minimum=3, maximum=10_000,
    ),
    Param(
        "min_ratio", "float", "an anomaly is at least this many times the median", 1.5,
        minimum=1, maximum=1000,
    ),
)  # fmt: skip

ADVISOR_QUESTIONS = (
    Question(
        "index_suggestions",
        "Indexes that would help the slow patterns (ESR rule), with rationale and evidence",
        (*SLOW_FILTERS, limit(20, 500)),
        duckdb=on_session("loglake.advisor.indexes:suggest_indexes"),
        route="/index-suggestions",
        cli=Cli("suggest-indexes"),
        streams=_SLOW,
        answer_keys=("suggestions", "not_indexable", "skipped", "workload_ms"),
    ),
    Question(
        "analysis",
        "Slow-query patterns with heuristic findings (collection scans, in-memory sorts, ...)",
        (*SLOW_FILTERS, limit(50, 1000)),
        duckdb=on_session("loglake.advisor.heuristics:analysis"),
        route="/analysis",
        cli=Cli("analyze"),
        streams=_SLOW,
        answer_keys=("patterns", "groups", "workload_ms", "findings", "rules"),
    ),
    Question(
        "families",
        "Families of related query shapes (same namespace and field set, or similar tokens)",
        (*SLOW_FILTERS, SIMILARITY, limit(50, 1000)),
        duckdb=FAMILIES,
        polars=FAMILIES,
        route="/families",
        streams=_SLOW,
        answer_keys=("families", "total", "patterns_seen", "shape_family"),
    ),
    Question(
        "anomalies",
        "Slow executions and count or latency spikes per pattern (median and MAD)",
        (*SLOW_FILTERS, *ANOMALY_PARAMS, limit(50, 1000)),
        duckdb=on_session("loglake.advisor.anomalies:anomalies"),
        route="/anomalies",
        streams=_SLOW,
        answer_keys=("executions", "buckets", "executions_total", "buckets_total", "by_pattern"),
    ),
)


# the live PostgreSQL advisor's newest snapshot (`loglake pg collect`), DuckDB only
PG_QUESTIONS = (
    Question(
        "pg_bottlenecks",
        "The costliest statements of the newest live PostgreSQL snapshot: why, and what to do",
        (limit(20, 500),),
        duckdb=on_cursor("loglake.advisor.pg_bottlenecks:bottlenecks"),
        route="/pg/bottlenecks",
        streams=(Stream.PG_STATEMENTS, Stream.PG_RECOMMENDATIONS),
        answer_keys=("snapshot", "rows", "index_findings", "families", "total"),
    ),
)


def register_questions(registry: Registry) -> None:
    """The plugin hook: add the advisor's questions."""
    for question in (*ADVISOR_QUESTIONS, *PG_QUESTIONS):
        registry.add(question)
