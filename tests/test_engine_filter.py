"""The `engine` filter: one engine's rows in every stream, through one filter table.

slow_queries has an `engine` column; the other streams are narrowed to the records of the
source files whose format is that engine's (the `lake_files` view, from the manifest).
"""

from __future__ import annotations

import pytest

from loglake.analytics.service import Analytics
from loglake.config import Settings


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("summary", "count"),
        ("auth_summary", "success"),
        ("auth_summary", "failure"),
        ("connections", "accepted"),
        ("auth_logs", "total"),
        ("search", "total"),
    ],
)
def test_mongodb_is_all_of_a_mongodb_lake_and_postgres_none(
    analytics: Analytics, question: str, key: str
) -> None:
    args = {"q": "conn"} if question == "search" else {}
    everything = analytics.ask(question, args)[key]
    assert everything > 0
    assert analytics.ask(question, {**args, "engine": "mongodb"})[key] == everything
    assert analytics.ask(question, {**args, "engine": "postgres"})[key] == 0


def test_an_unknown_engine_is_refused(analytics: Analytics) -> None:
    from loglake.errors import InputError

    with pytest.raises(InputError, match="engine: 'oracle' is not one of mongodb, postgres"):
        analytics.ask("summary", {"engine": "oracle"})


def test_the_polars_engine_filters_engines_alike(lake: Settings) -> None:
    polars = Analytics(lake.with_options(disable_duckdb=True))
    for question, key in (("summary", "count"), ("auth_summary", "success"),
                          ("connections", "accepted")):  # fmt: skip
        everything = polars.ask(question, {})[key]
        assert everything > 0
        assert polars.ask(question, {"engine": "mongodb"})[key] == everything
        assert polars.ask(question, {"engine": "postgres"})[key] == 0
