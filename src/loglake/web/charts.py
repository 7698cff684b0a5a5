"""ECharts options built from service answers; `static/app.js` draws them as given.

Each builder returns a `Chart`: the option object plus, for clickable charts, the URL each
bar / slice / series opens (the page with that filter applied).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from loglake.formats.registry import full_scan_plans, is_full_scan_plan

PALETTE = [
    "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#4f46e5", "#0d9488", "#9333ea", "#dc2626",
]  # fmt: skip
BAD = "#dc2626"
# colours with a meaning: red is bad (full scans, by the formats' own plan words), green good
COLORS = {
    **dict.fromkeys(sorted(full_scan_plans()), BAD),
    "IXSCAN": "#2563eb", "IDHACK": "#16a34a", "COUNT_SCAN": "#0891b2",
    "DISTINCT_SCAN": "#7c3aed", "(none)": "#9ca3af", "failure": "#dc2626", "success": "#16a34a",
    "opened": "#2563eb", "closed": "#9ca3af", "open connections": "#2563eb", "open": "#d97706",
    "other patterns": "#cbd5e1",
}  # fmt: skip


def color_of(name: str) -> str | None:
    """The colour that means something for a series or slice (full scans are red), if any."""
    return BAD if is_full_scan_plan(name) else COLORS.get(name)


# (limit, divisor, unit) for durations on an axis, first that fits the largest value
_DURATION_UNITS = ((10_000, 1, "ms"), (600_000, 1000, "s"), (36_000_000, 60_000, "min"))
LABEL_CHARS = 48


@dataclass
class Chart:
    """An ECharts option and the links of its items (by data index or series name)."""

    option: dict[str, Any]
    links: dict[str, str] | list[str] = field(default_factory=list)
    height: int = 280
    zoom: dict[str, Any] | None = None  # bars' starts: dragging across them picks a range

    def __post_init__(self) -> None:
        # an empty chart still draws (axes and all) but says why it is blank
        if not any(_has_value(s.get("data")) for s in self.option.get("series", [])):
            self.option["graphic"] = {
                "type": "text",
                "left": "center",
                "top": "middle",
                "style": {"text": "No data in this range", "fill": "#9ca3af", "fontSize": 14},
            }


def _has_value(data: Any) -> bool:
    """True when a series' data holds at least one non-zero value."""
    for item in data or []:
        value = item.get("value") if isinstance(item, dict) else item
        if isinstance(value, list):
            value = value[-1]
        if value:
            return True
    return False


def short(text: Any, limit: int = LABEL_CHARS) -> str:
    """A label cut to `limit` characters."""
    value = "(none)" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _base(**extra: Any) -> dict[str, Any]:
    option: dict[str, Any] = {
        "color": PALETTE,
        "animation": False,
        "grid": {"left": 56, "right": 24, "top": 36, "bottom": 40, "containLabel": True},
        "tooltip": {"trigger": "axis", "confine": True},
    }
    option.update(extra)
    return option


MAX_FILLED = 5000  # a series is zero-filled up to this many buckets


def _instant(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def zero_filled(
    points: Sequence[dict[str, Any]],
    keys: Sequence[str],
    bucket_seconds: float | None = None,
    gauges: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Points with every bucket between the first and the last: a bucket without data counts
    0 (a gauge, such as open connections, is unknown there: None breaks its line). The width
    is `bucket_seconds`, or the largest that divides every gap between the points."""
    times = [_instant(p.get("t")) for p in points]
    known = [t for t in times if t is not None]
    if len(points) < 2 or len(known) < len(points):
        return [dict(p) for p in points]
    stamps = [round(t.timestamp()) for t in known]
    step = round(bucket_seconds or 0)
    if step <= 0:
        gaps = {b - a for a, b in itertools.pairwise(sorted(stamps)) if b > a}
        step = math.gcd(*gaps) if gaps else 0
    first, last = min(stamps), max(stamps)
    if step <= 0 or (last - first) // step > MAX_FILLED:
        return [dict(p) for p in points]
    by_time = dict(zip(stamps, points, strict=True))
    counts = [k for k in keys if k not in gauges]
    out = []
    for at in range(first, last + 1, step):
        point = by_time.get(at)
        if point is None:
            t = _iso(datetime.fromtimestamp(at, UTC))
            out.append({"t": t, **dict.fromkeys(gauges), **dict.fromkeys(counts, 0)})
        else:
            out.append({**point, **{k: 0 for k in counts if point.get(k) is None}})
    return out


def timeseries(
    points: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    kind: str = "line",
    unit: str = "",
    stack: bool = False,
    bucket_seconds: float | None = None,
    gauges: Sequence[str] = (),
) -> Chart:
    """Values over time: `series` is (legend name, key in each point); a bucket without data
    is drawn as 0 (not as a line to the next point), except for `gauges`."""
    points = zero_filled(points, [key for _, key in series], bucket_seconds, gauges)
    option = _base(
        legend={"top": 0, "type": "scroll"},
        xAxis={"type": "time"},
        yAxis={"type": "value", "axisLabel": {"formatter": "{value}" + unit}},
        dataZoom=[{"type": "inside"}],
        series=[
            {
                "name": name,
                "type": kind,
                "itemStyle": {"color": color} if (color := color_of(name)) else None,
                "showSymbol": False,
                "stack": "total" if stack else None,
                "areaStyle": {"opacity": 0.15} if kind == "line" and stack else None,
                "data": [[p["t"], p.get(key)] for p in points],
            }
            for name, key in series
        ],
    )
    return Chart(option)


def multi_series(
    series: Iterable[dict[str, Any]],
    value: str,
    link: Callable[[dict[str, Any]], str],
    bucket_seconds: float | None = None,
) -> Chart:
    """One line per pattern (trend answers); clicking a line opens that pattern. Every line
    has every bucket of the chart's span: one without data is 0, not a line across it."""
    series = list(series)
    starts = sorted({p["t"] for s in series for p in s["points"]}, key=str)
    lines, links = [], {}
    for s in series:
        name = short(s["label"] or s["key"], 60)
        links[name] = link(s)
        own = {p["t"]: p for p in s["points"]}
        points = [{**own.get(t, {value: 0}), "t": t} for t in starts]
        lines.append(
            {
                "name": name,
                "type": "line",
                "showSymbol": False,
                "data": [
                    [p["t"], p.get(value)] for p in zero_filled(points, [value], bucket_seconds)
                ],
            }
        )

    option = _base(
        legend={"type": "scroll", "bottom": 0},
        xAxis={"type": "time"},
        yAxis={"type": "value", "name": value.replace("_", " ")},
        dataZoom=[{"type": "inside"}],
        series=lines,
    )
    option["grid"]["bottom"] = 56
    return Chart(option, links, height=340)


def histogram(
    buckets: Sequence[dict[str, Any]],
    bucket_seconds: float | None,
    zone: tzinfo,
    links: Sequence[str],
) -> Chart:
    """Records per time bucket (every bucket, empty ones 0), labelled in `zone`. Dragging
    across bars selects a time range (app.js reads the bars' starts from `zoom`); clicking
    a bar opens `links[i]`, that bucket alone."""
    width = bucket_seconds or 0
    fmt = "%Y-%m-%d" if width >= 86_400 else "%m-%d %H:%M" if width >= 60 else "%H:%M:%S"
    labels = []
    for b in buckets:
        start = _instant(b["t"])
        labels.append(start.astimezone(zone).strftime(fmt) if start else str(b["t"]))
    option = _base(
        # drawn on the canvas: an HTML tooltip sets inline styles, which the CSP refuses
        tooltip={
            "trigger": "axis",
            "axisPointer": {"type": "shadow"},
            "confine": True,
            "renderMode": "richText",
        },
        xAxis={"type": "category", "data": labels, "axisLabel": {"hideOverlap": True}},
        yAxis={"type": "value", "minInterval": 1, "splitNumber": 3},
        brush={
            "xAxisIndex": 0,
            "brushType": "lineX",
            "brushMode": "single",
            "transformable": False,
            "brushStyle": {"color": "rgba(37, 99, 235, 0.15)", "borderColor": "#2563eb"},
        },
        series=[
            {
                "name": "records",
                "type": "bar",
                "barCategoryGap": "12%",
                "data": [b["count"] for b in buckets],
            }
        ],
    )
    option["grid"].update(top=12, bottom=24, left=40)
    chart = Chart(option, list(links), height=160)
    chart.zoom = {"starts": [b["t"] for b in buckets], "seconds": width}
    return chart


def duration_unit(largest: float) -> tuple[float, str]:
    """The divisor and unit that show durations up to `largest` ms with short numbers."""
    for limit, divisor, unit in _DURATION_UNITS:
        if largest < limit:
            return divisor, unit
    return 3_600_000, "h"


def bars(
    rows: Sequence[dict[str, Any]],
    label: str,
    value: str,
    link: Callable[[dict[str, Any]], str] | None = None,
    duration: bool = False,
    color: str | None = None,
) -> Chart:
    """Horizontal bars, largest on top (`duration`: values in ms, shown in a fitting unit)."""
    rows = list(rows)[::-1]
    values = [r.get(value) or 0 for r in rows]
    divisor, unit = duration_unit(max(values, default=0)) if duration else (1, "")
    option = _base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}, "confine": True},
        xAxis={
            "type": "value",
            "name": unit,
            "splitNumber": 4,
            "axisLabel": {"hideOverlap": True},
        },
        yAxis={
            "type": "category",
            "data": [short(r.get(label), 32) for r in rows],
            "axisLabel": {"width": 190, "overflow": "truncate"},
        },
        series=[
            {
                "type": "bar",
                "data": [round(v / divisor, 2) for v in values],
                "barMaxWidth": 22,
                "itemStyle": {"color": color} if color else None,
            }
        ],
    )
    option["grid"]["top"] = 8
    links = [link(r) for r in rows] if link else []
    return Chart(option, links, height=max(160, 28 * len(rows) + 40))


def donut(
    rows: Sequence[dict[str, Any]],
    label: str,
    value: str,
    link: Callable[[dict[str, Any]], str] | None = None,
) -> Chart:
    """Shares of a whole as a ring."""
    option = {
        "color": PALETTE,
        "animation": False,
        "tooltip": {"trigger": "item", "confine": True},
        "legend": {"type": "scroll", "orient": "vertical", "right": 0, "top": "middle"},
        "series": [
            {
                "type": "pie",
                "radius": ["45%", "75%"],
                "center": ["35%", "50%"],
                "label": {"show": False},
                "data": [_slice(str(r.get(label)), r.get(value)) for r in rows],
            }
        ],
    }
    return Chart(option, [link(r) for r in rows] if link else [], height=240)


def _slice(name: str, value: Any) -> dict[str, Any]:
    color = color_of(name)
    return {
        "name": short(name, 32),
        "value": value,
        "itemStyle": {"color": color} if color else None,
    }


def heatmap(days: Sequence[str], cells: Sequence[dict[str, Any]]) -> Chart:
    """Hour of day by calendar day, coloured by count."""
    top = max((c["count"] for c in cells), default=1)
    option = {
        "animation": False,
        "tooltip": {"position": "top", "confine": True},
        "grid": {"left": 90, "right": 90, "top": 8, "bottom": 40},
        "xAxis": {"type": "category", "data": [f"{h:02d}" for h in range(24)], "name": "hour"},
        "yAxis": {"type": "category", "data": list(days)},
        "visualMap": {
            "min": 0,
            "max": top,
            "calculable": True,
            "orient": "vertical",
            "right": 0,
            "top": "middle",
            "itemHeight": 100,
            "inRange": {"color": ["#eff6ff", "#60a5fa", "#1d4ed8", "#172554"]},
        },
        "series": [
            {
                "type": "heatmap",
                "name": "slow operations",
                "data": [[c["hour"], days.index(c["day"]), c["count"]] for c in cells],
            }
        ],
    }
    return Chart(option, height=max(200, 26 * len(days) + 90))


def scatter(sample: Sequence[dict[str, Any]], labels: dict[str, str]) -> Chart:
    """Executions as dots (time, duration), one colour per pattern (log scale)."""
    groups: dict[str, list[list[Any]]] = {}
    for row in sample:
        label = labels.get(row["key"])
        name = short(label, 60) if label else "other patterns"
        groups.setdefault(name, []).append([row["ts"], row["duration_ms"]])
    option = _base(
        tooltip={"trigger": "item", "confine": True},
        legend={"type": "scroll", "bottom": 0},
        xAxis={"type": "time"},
        yAxis={"type": "log", "name": "duration (ms)", "min": 1},
        dataZoom=[{"type": "inside"}],
        series=[
            {
                "name": name,
                "type": "scatter",
                "symbolSize": 5,
                "itemStyle": {"color": color} if (color := color_of(name)) else None,
                "data": points,
            }
            for name, points in sorted(groups.items(), key=lambda g: g[0] == "other patterns")
        ],
    )
    option["grid"]["bottom"] = 56
    return Chart(option, height=360)
