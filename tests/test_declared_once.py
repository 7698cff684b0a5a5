"""Pieces written once and used twice: the filter table of both engines, the MAD score macro."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from loglake.analytics import filters, polars_lake
from loglake.analytics.engine import Lake
from loglake.schema import Stream


def test_both_engines_know_every_comparison_of_the_filter_table() -> None:
    used = {how for _, how in filters._COMPARE.values()}
    assert used <= set(filters.COMPARISONS) == set(polars_lake.COMPARISONS)


def test_the_sql_fragments_come_from_the_table() -> None:
    params = {"level": "W", "max_ms": 5.0, "op": "find"}
    clause, values = filters.where(Stream.SLOW_QUERIES, params)
    assert (clause, values) == ("WHERE op = ? AND duration_ms <= ?", ["find", 5.0])
    clause, values = filters.where(Stream.EVENTS, params)
    # the normalized level (any case) or the level as logged (MongoDB's W)
    assert (clause, values) == ("WHERE (upper(?) = level OR trim(severity) = ?)", ["W", "W"])
    clause, values = filters.where(Stream.EVENTS, {"source": "api", "tag": "beta"})
    assert clause == (
        "WHERE trim(component) = ? AND list_contains(json_extract_string(attrs, '$.tags[*]'), ?)"
    )
    assert values == ["api", "beta"]


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """A Lake over an empty root: its connection has the macros."""
    return Lake(tmp_path / "empty")


@pytest.mark.parametrize(
    ("args", "score"),
    [
        ((10.0, 4.0, 2.0, 1.0), 0.6745 * 6 / 2),  # MAD > 0: the modified z-score
        ((10.0, 4.0, 0.0, 2.0), 6 / (1.253314 * 2)),  # MAD 0: mean absolute deviation
        ((2.0, 4.0, 2.0, 1.0), 0.6745 * -2 / 2),  # below the median: negative
        ((4.0, 4.0, 0.0, 0.0), None),  # every value equal: no score
    ],
)
def test_mad_score(lake: Lake, args: tuple[float, ...], score: float | None) -> None:
    with lake.snapshot() as cur:
        [(found,)] = cur.execute("SELECT mad_score(?, ?, ?, ?)", list(args)).fetchall()
    assert found == (None if score is None else pytest.approx(score, rel=1e-12))


def test_both_anomaly_queries_score_with_the_macro() -> None:
    folder = resources.files("loglake.analytics").joinpath("sql")
    texts = {p.name: p.read_text() for p in folder.iterdir() if p.name.endswith(".sql")}
    assert [name for name, text in texts.items() if "0.6745" in text] == ["macros.sql"]
    for name in ("anomaly_executions.sql", "anomaly_buckets.sql"):
        assert "mad_score(" in texts[name]
