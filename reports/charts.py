"""Draw the dashboard's charts as inline SVG on the server: no script, no CDN.

Like ``services/methadone/charts.py``: each chart is an ``<svg role="img">`` labelled by its
``<title>`` and ``<desc>``, scales to its container (``viewBox``, width 100 %) so it reads on
a 360 px phone, and uses presentation attributes only (the Content-Security-Policy allows no
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

WIDTH = 360
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


def _short(label: str, size: int = 16) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _desc(bars: Sequence[Bar], target_text: str | None) -> str:
    listed = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    if target_text:
        return _("Target %(target)s. %(values)s. The table below gives the same figures.") % {
            "target": target_text, "values": listed,
        }  # fmt: skip
    return _("%(values)s. The table below gives the same figures.") % {"values": listed}


def units_chart(
    bars: Sequence[Bar], *, title: str, target: float | None = None,
    target_text: str | None = None, share: bool = True, chart_id: str = "units-chart",
) -> SafeString:  # fmt: skip
    """Return actual against target by unit: a horizontal bar per unit, the target a line."""
    label_w, value_w, top_pad, row_h = 118, 52, 16, 26
    plot_w = WIDTH - label_w - value_w
    height = top_pad + row_h * max(len(bars), 1) + 8
    top = _top([b.value for b in bars], target, share)
    parts: list[SafeString] = [_line(label_w, top_pad - 4, label_w, height - 8)]
    for n, bar in enumerate(bars):
        y = top_pad + n * row_h
        parts.append(_text(label_w - 6, y + row_h / 2 + 4, _short(bar.label), anchor="end"))
        if bar.value is None:
            parts.append(_text(label_w + 4, y + row_h / 2 + 4, bar.text))
            continue
        w = plot_w * min(bar.value, top) / top
        parts.append(_rect(label_w, y + row_h * 0.2, w, row_h * 0.6, BAR))
        parts.append(_text(label_w + w + 4, y + row_h / 2 + 4, bar.text))
    if target is not None:
        x = label_w + plot_w * min(target, top) / top
        parts.append(_line(x, top_pad - 6, x, height - 6, colour=TARGET, dashed=True))
        parts.append(_text(x, top_pad - 7, _("target %(value)s") % {"value": target_text or ""},
                           anchor="middle", size=9))  # fmt: skip
    return _frame(chart_id, height, title, _desc(bars, target_text), parts)


def trend_chart(
    bars: Sequence[Bar], *, title: str, target: float | None = None,
    target_text: str | None = None, share: bool = True, chart_id: str = "trend-chart",
) -> SafeString:  # fmt: skip
    """Return a trend by quarter: a vertical bar per quarter, the target a line."""
    height, left, right, top_pad, bottom = 200.0, 30, 8, 16, 34
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    base = top_pad + plot_h
    top = _top([b.value for b in bars], target, share)
    step = plot_w / max(len(bars), 1)
    parts: list[SafeString] = [
        _line(left, base, WIDTH - right, base),
        _text(left - 4, base + 4, "0", anchor="end", size=9),
        _text(left - 4, top_pad + 4, f"{top:g}" + (" %" if share else ""), anchor="end", size=9),
    ]
    for n, bar in enumerate(bars):
        x = left + n * step
        parts.append(_text(x + step / 2, height - 18, bar.label, anchor="middle", size=9))
        if bar.value is None:
            parts.append(_text(x + step / 2, base - 4, bar.text, anchor="middle", size=9))
            continue
        h = plot_h * min(bar.value, top) / top
        parts.append(_rect(x + step * 0.2, base - h, step * 0.6, h, BAR))
        parts.append(_text(x + step / 2, base - h - 3, bar.text, anchor="middle", size=9))
    if target is not None:
        y = base - plot_h * min(target, top) / top
        parts.append(_line(left, y, WIDTH - right, y, colour=TARGET, dashed=True))
    legend = _("Dashed line: target") if target is not None else ""
    if legend:
        parts.append(_text(left, height - 4, legend, size=9))
    return _frame(chart_id, height, title, _desc(bars, target_text), parts)
