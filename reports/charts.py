"""Draw the dashboard's charts as inline SVG on the server: no script, no CDN.

Like ``services/methadone/charts.py``: each chart is an ``<svg role="img">`` labelled by its
``<title>`` and ``<desc>`` and scales to its container (``viewBox``, width 100%). Its drawing
is about as wide as a phone's card and its text at least 13 units high, so the text reads
at 12 px or more on a 360 px phone (a browser test measures it); it uses presentation
attributes only (the Content-Security-Policy allows no
inline style). The page shows the same figures as a table beside each chart, for screen
readers and for printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import svg

# The drawing's width in user units. The chart is shown at most 24rem (384 px) wide
# (static/css/figures.css) and about 294 px wide in a 360 px phone's card, so a user unit is
# 0.98–1.28 px: text of at least 13 units reads at 12.7 px or more on the phone.
WIDTH = 300
LABEL = 14  # unit names, quarters and values
SMALL = 13  # the target's label
BAR_H = 14
BAR = "#1f5f99"
TARGET = "#b3261e"
MUTED = "#8a8a8a"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None: not shown, e.g. suppressed) and the value's text."""

    label: str
    value: float | None
    text: str


def _top(values: Sequence[float | None], target: float | None, share: bool) -> float:
    most = max([v for v in values if v is not None] + [target or 0, 0])
    if share:
        return 100.0
    if most <= 10:
        return 10.0
    step = 10 ** (len(str(int(most))) - 1)
    step = step // 2 if step >= 100 else step
    return float(math.ceil(most / step) * step)


def _frame(
    chart_id: str, height: float, title: str, desc: str, parts: list[SafeString]
) -> SafeString:
    return svg.frame(chart_id, WIDTH, height, title, desc, parts)


_n, _text, _rect, _line = svg.number, svg.text, svg.rect, svg.line


def _short(label: str, size: int) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _desc(bars: Sequence[Bar], target_text: str | None) -> str:
    listed = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    if target_text:
        return _("Target %(target)s. %(values)s. The table below gives the same figures.") % {
            "target": target_text,
            "values": listed,
        }
    return _("%(values)s. The table below gives the same figures.") % {"values": listed}


def _target_mark(
    parts: list[SafeString], x: float, top: float, bottom: float, target_text: str | None
) -> None:
    """Add the target's dashed line from ``top`` to ``bottom`` and its label above it."""
    parts.append(_line(x, top, x, bottom, colour=TARGET, dashed=True))
    label = _("target %(value)s") % {"value": target_text or ""}
    # Kept inside the frame: anchored at the end when the line is near the right edge.
    anchor = "end" if x > WIDTH * 0.6 else ("start" if x < WIDTH * 0.25 else "middle")
    parts.append(_text(x, top - 4, label, anchor=anchor, size=SMALL))


def units_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    target: float | None = None,
    target_text: str | None = None,
    share: bool = True,
    chart_id: str = "units-chart",
) -> SafeString:
    """Return actual against target by unit: a unit's name above its bar, the target a line.

    The name has the chart's whole width (a commune's name is long), the bar and its value
    the line below it.
    """
    left, value_w, top_pad, row_h = 4, 64, 22, 44
    plot_w = WIDTH - left - value_w
    height = top_pad + row_h * max(len(bars), 1) + 4
    top = _top([b.value for b in bars], target, share)
    parts: list[SafeString] = []
    for n, bar in enumerate(bars):
        y = top_pad + n * row_h
        parts.append(_text(left, y + LABEL, _short(bar.label, 34), size=LABEL))
        bar_y = y + LABEL + 6
        if bar.value is None:
            parts.append(_text(left, bar_y + BAR_H - 2, bar.text, size=LABEL))
            continue
        w = plot_w * min(bar.value, top) / top
        parts.append(_rect(left, bar_y, max(w, 1), BAR_H, BAR))
        parts.append(_text(left + w + 4, bar_y + BAR_H - 2, bar.text, size=LABEL))
    if target is not None:
        x = left + plot_w * min(target, top) / top
        _target_mark(parts, x, top_pad - 2, height - 2, target_text)
    return _frame(chart_id, height, title, _desc(bars, target_text), parts)


def trend_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    target: float | None = None,
    target_text: str | None = None,
    share: bool = True,
    chart_id: str = "trend-chart",
) -> SafeString:
    """Return a trend by quarter: a bar per quarter, oldest at the top, the target a line.

    Horizontal bars, so eight quarters' labels and values stay legible on a phone.
    """
    label_w, value_w, top_pad, row_h = 52, 64, 22, 26
    plot_w = WIDTH - label_w - value_w
    height = top_pad + row_h * max(len(bars), 1) + 4
    top = _top([b.value for b in bars], target, share)
    parts: list[SafeString] = [_line(label_w, top_pad - 2, label_w, height - 2)]
    for n, bar in enumerate(bars):
        y = top_pad + n * row_h
        middle = y + row_h / 2 + LABEL / 2 - 2
        parts.append(_text(label_w - 6, middle, bar.label, anchor="end", size=LABEL))
        if bar.value is None:
            parts.append(_text(label_w + 4, middle, bar.text, size=LABEL))
            continue
        w = plot_w * min(bar.value, top) / top
        parts.append(_rect(label_w, y + (row_h - BAR_H) / 2, max(w, 1), BAR_H, BAR))
        parts.append(_text(label_w + w + 4, middle, bar.text, size=LABEL))
    if target is not None:
        x = label_w + plot_w * min(target, top) / top
        _target_mark(parts, x, top_pad - 2, height - 2, target_text)
    return _frame(chart_id, height, title, _desc(bars, target_text), parts)
