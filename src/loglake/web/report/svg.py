"""Charts as inline SVG for the offline report: no script, no font, nothing fetched.

Every text that reaches the SVG goes through `markupsafe.escape`; numbers are formatted
here. The shapes are plain rectangles and text, so any browser (or a printer) draws them.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 960
BAR_COLOR = "#3b6fb6"
ALERT_COLOR = "#c0392b"


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators (an empty string for None)."""
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def duration(ms: float | None) -> str:
    """Milliseconds in the unit that reads best: 850 ms, 12.3 s, 4.1 min, 2.0 h."""
    if ms is None:
        return ""
    for limit, unit, scale in ((1_000, "ms", 1), (60_000, "s", 1_000), (3_600_000, "min", 60_000)):
        if abs(ms) < limit:
            return f"{ms / scale:,.{0 if unit == 'ms' else 1}f} {unit}"
    return f"{ms / 3_600_000:,.1f} h"


def size(n: float | None) -> str:
    """Bytes as B, KiB, MiB or GiB."""
    if n is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"  # pragma: no cover - the loop returns


def columns(
    points: Sequence[tuple[str, float]], title: str, unit: str = "", height: int = 220
) -> Markup:
    """A column chart of (label, value) points, e.g. time per hour; labels under both ends."""
    if not points:
        return Markup('<p class="empty">{}</p>').format(f"{title}: no data")
    top, left, bottom = 28, 60, 36
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    peak = max(v for _, v in points) or 1
    step = plot_w / len(points)
    bars = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / peak
        bars.append(
            Markup(
                '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                "<title>{}: {}</title></rect>"
            ).format(
                left + i * step,
                top + plot_h - h,
                max(step - 1, 0.5),
                h,
                BAR_COLOR,
                label,
                f"{number(value, 1)} {unit}".strip(),
            )
        )
    axis = Markup(
        '<text x="{}" y="{}" class="t">{}</text><text x="{}" y="{}" class="t" '
        'text-anchor="end">{}</text><text x="{}" y="{}" class="t" text-anchor="end">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
    ).format(
        left,
        height - 12,
        points[0][0],
        WIDTH - 10,
        height - 12,
        points[-1][0],
        left - 6,
        top + 10,
        f"{number(peak, 1)} {unit}".strip(),
        left,
        top + plot_h,
        WIDTH - 10,
        top + plot_h,
    )
    return Markup(
        '<svg viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="{t}"><text x="4" y="16" class="h">{t}</text>{bars}{axis}</svg>'
    ).format(w=WIDTH, h=height, t=title, bars=Markup("").join(bars), axis=axis)


def hbars(
    rows: Sequence[tuple[str, float]], title: str, unit: str = "", alert: bool = False
) -> Markup:
    """Horizontal bars of (label, value), largest first as given: top users, codes, tables."""
    if not rows:
        return Markup('<p class="empty">{}</p>').format(f"{title}: no data")
    line, label_w, top = 22, 300, 26
    height = top + line * len(rows) + 6
    peak = max(v for _, v in rows) or 1
    plot_w = WIDTH - label_w - 120
    parts = []
    for i, (label, value) in enumerate(rows):
        y = top + i * line
        text = str(label) if len(str(label)) <= 48 else str(label)[:47] + "…"
        parts.append(
            Markup(
                '<text x="{}" y="{}" class="t" text-anchor="end">{}<title>{}</title></text>'
                '<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="{}"/>'
                '<text x="{:.1f}" y="{}" class="t">{}</text>'
            ).format(
                label_w - 6,
                y + 14,
                text,
                label,
                label_w,
                y + 3,
                max(plot_w * value / peak, 1),
                line - 6,
                ALERT_COLOR if alert else BAR_COLOR,
                label_w + max(plot_w * value / peak, 1) + 6,
                y + 14,
                f"{number(value, 1 if value % 1 else 0)} {unit}".strip(),
            )
        )
    return Markup(
        '<svg viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="{t}"><text x="4" y="16" class="h">{t}</text>{parts}</svg>'
    ).format(w=WIDTH, h=height, t=title, parts=Markup("").join(parts))


__all__ = ["columns", "duration", "escape", "hbars", "number", "size"]
