"""Chart options built from answers: units that fit, colours with a meaning, empty charts."""

from __future__ import annotations

from loglake.web import charts


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
