"""Advisor questions answered from other questions: name -> fn(analytics, params)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loglake.advisor.anomalies import anomalies
from loglake.advisor.families import families
from loglake.advisor.heuristics import analysis
from loglake.advisor.indexes import suggest_indexes

if TYPE_CHECKING:
    from loglake.analytics.service import Analytics

AdvisorQuestion = Callable[["Analytics", dict[str, Any]], dict[str, Any]]

# Run by Analytics.compute as fn(analytics, params), cached like every other question.
ADVISOR_QUESTIONS: dict[str, AdvisorQuestion] = {
    "index_suggestions": suggest_indexes,
    "analysis": analysis,
    "families": families,
    "anomalies": anomalies,
}

# Advisor questions that only ask questions the Polars fallback answers; the rest are
# degraded without DuckDB.
POLARS_READY: set[str] = {"families"}
