"""Chart options built from answers: units that fit, colours with a meaning, empty charts."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest

from loglake.analytics.service import Analytics
from loglake.web import charts
from logs_corpus import write_corpus


@pytest.fixture(scope="module")
def lake_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two servers' seeded logs: slow queries in most hours of three days, not in all."""
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def test_an_empty_chart_says_so_and_a_full_one_does_not() -> None:
    assert "graphic" in charts.bars([], "key", "count").option
    assert (
        "graphic" in charts.timeseries([{"t": "2024-01-01T00:00:00Z", "n": 0}], [("n", "n")]).option
    )
    assert "graphic" not in charts.bars([{"key": "a", "count": 3}], "key", "count").option
    assert "graphic" not in charts.donut([{"key": "COLLSCAN", "n": 1}], "key", "n").option


def test_durations_use_a_unit_that_keeps_numbers_short() -> None:
    rows = [{"key": "a", "ms": 7_200_000.0}, {"key": "b", "ms": 3_600_000.0}]
    chart = charts.bars(rows, "key", "ms", duration=True)
    assert chart.option["xAxis"]["name"] == "min"
    assert chart.option["series"][0]["data"] == [60.0, 120.0]  # largest on top
    assert charts.duration_unit(40_000_000) == (3_600_000, "h")
    assert charts.duration_unit(900) == (1, "ms")
    assert charts.duration_unit(90_000) == (1000, "s")


def test_collection_scans_and_failures_are_red_and_links_follow_items() -> None:
    donut = charts.donut(
        [{"key": "COLLSCAN", "n": 2}, {"key": "IXSCAN", "n": 5}],
        "key",
        "n",
        lambda r: f"/x?plan={r['key']}",
    )
    slices = donut.option["series"][0]["data"]
    assert slices[0]["itemStyle"]["color"] == charts.COLORS["COLLSCAN"] == "#dc2626"
    assert donut.links == ["/x?plan=COLLSCAN", "/x?plan=IXSCAN"]
    auth = charts.timeseries([{"t": "x", "failure": 1}], [("failure", "failure")], "bar")
    assert auth.option["series"][0]["itemStyle"]["color"] == "#dc2626"


def test_a_bucket_without_data_is_zero_not_a_line_to_the_next_point() -> None:
    points = [
        {"t": "2024-01-01T00:00:00Z", "n": 4, "open": 3},
        {"t": "2024-01-01T01:00:00Z", "n": 2, "open": 5},
        {"t": "2024-01-01T04:00:00Z", "n": 7, "open": 1},  # 02:00 and 03:00 had nothing
    ]
    chart = charts.timeseries(points, [("n", "n"), ("open", "open")], gauges=("open",))
    counts, gauge = (s["data"] for s in chart.option["series"])
    assert counts == [
        ["2024-01-01T00:00:00Z", 4],
        ["2024-01-01T01:00:00Z", 2],
        ["2024-01-01T02:00:00Z", 0],
        ["2024-01-01T03:00:00Z", 0],
        ["2024-01-01T04:00:00Z", 7],
    ]
    assert [v for _, v in gauge] == [3, 5, None, None, 1]  # a gauge is unknown there: a gap
    # the answer's bucket width wins over the gaps' (here every gap is two buckets)
    wide = charts.zero_filled(points[:2], ["n"], bucket_seconds=1800)
    assert [p["n"] for p in wide] == [4, 0, 2]


def test_the_dashboard_trend_draws_every_bucket(analytics: Analytics) -> None:
    """The dashboard's "over time by plan" over a real lake: days without slow queries are
    zeros at one bucket's step, for every plan, and the counts are the answer's."""
    trend = analytics.ask("trend", {"group_by": "plan", "top": "6", "sample": "0"})
    chart = charts.multi_series(trend["series"], "count", lambda s: "", trend["bucket_seconds"])
    step = trend["bucket_seconds"]
    for line, series in zip(chart.option["series"], trend["series"], strict=True):
        times = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t, _ in line["data"]]
        assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {step}
        given = {p["t"]: p["count"] for p in series["points"]}
        assert {t: v for t, v in line["data"] if t in given} == given
        assert sum(v for _, v in line["data"]) == sum(given.values())
        assert [v for t, v in line["data"] if t not in given] == [0] * (len(times) - len(given))
    assert len(chart.option["series"][0]["data"]) > len(trend["series"][0]["points"])
