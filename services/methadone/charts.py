"""Draw the methadone figures as inline SVG on the server: no script, no CDN.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` it is labelled by,
scales to its container (``viewBox``, width 100 %), and uses presentation attributes only
(the Content-Security-Policy allows no inline style). As the coverage charts
(``reports/charts.py``), its drawing is about as wide as a phone's card and its text at
least 13 units high, so the text reads at 12.7 px or more on a 360 px phone (a browser test
measures it). The pages show the same figures as a table too, for screen readers and for
printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import svg

from .figures import Bucket, SeriesDay
from .models import DoseKind

# The drawing's size in user units. The chart is shown at most 24rem (384 px) wide
# (static/css/methadone.css) and about 294 px wide in a 360 px phone's card, so a user unit
# is 0.98–1.28 px: text of at least 13 units reads at 12.7 px or more on the phone (it was
# 360 units wide with 9–11 unit text: 7.4–9 px).
WIDTH, HEIGHT = 300, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 14, 32
LABEL = 14  # axis values, dates, bucket names and counts
SMALL = 13  # the axis unit ("mg")
COLOURS = {
    DoseKind.OBSERVED: "#1f5f99",
    DoseKind.TAKE_HOME: "#7fb0dc",
    DoseKind.MISSED: "#b3261e",
    None: "#8a8a8a",
}


def _nice_ceiling(value: float) -> int:
    """Return a round upper bound for an axis (10, 20, 50, 100, 150, …)."""
    if value <= 10:
        return 10
    step = 10 ** (len(str(int(value))) - 1)
    step = step // 2 if step >= 100 else step
    return int(math.ceil(value / step) * step)


def _frame(chart_id: str, title: str, desc: str, parts: list[SafeString]) -> SafeString:
    return svg.frame(chart_id, WIDTH, HEIGHT, title, desc, parts)


_n, _text, _rect, _line = svg.number, svg.text, svg.rect, svg.line


def dose_chart(series: Sequence[SeriesDay], *, chart_id: str = "dose-chart") -> SafeString:
    """Return the daily dose chart: a bar per dosed day, a mark per missed or empty day."""
    taken = [d.dose_mg for d in series if d.dose_mg is not None]
    top = _nice_ceiling(max(taken, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    step = plot_w / max(len(series), 1)
    parts = [
        _line(LEFT, base, WIDTH - RIGHT, base),
        _line(LEFT, TOP, LEFT, base),
        _text(LEFT - 4, base + 5, "0", anchor="end", size=LABEL),
        _text(LEFT - 4, TOP + 5, f"{top}", anchor="end", size=LABEL),
        _text(LEFT - 4, TOP + 21, "mg", anchor="end", size=SMALL),
    ]
    for n, day in enumerate(series):
        x = LEFT + n * step
        colour = COLOURS[DoseKind(day.kind) if day.kind is not None else None]
        if day.dose_mg is not None:
            h = plot_h * day.dose_mg / top
            parts.append(_rect(x + step * 0.1, base - h, step * 0.8, h, colour))
        else:  # a missed day (a row) or a day without a row: a mark below the axis
            parts.append(_rect(x + step * 0.1, base + 2, max(step * 0.8, 1), 6, colour))
    if series:
        first, last = series[0].day, series[-1].day
        parts.append(_text(LEFT, HEIGHT - 6, date_format(first, "d/m"), size=LABEL))
        last_text = date_format(last, "d/m")
        parts.append(_text(WIDTH - RIGHT, HEIGHT - 6, last_text, anchor="end", size=LABEL))
    dosed = sum(1 for d in series if d.dose_mg is not None)
    title = _("Daily methadone dose, last %(days)d days") % {"days": len(series)}
    desc = _(
        "%(dosed)d of %(days)d expected days with a dose taken; highest dose %(top)s mg. "
        "Bars: observed (dark) and take-home (light) doses; marks under the axis: missed "
        "(red) and unrecorded (grey) days. The table below gives every day."
    ) % {"dosed": dosed, "days": len(series), "top": f"{max(taken, default=0):g}"}
    return _frame(chart_id, title, desc, parts)


def bucket_label(bucket: Bucket) -> str:
    """Return a bucket's label: '< 50%', '50–79%', '≥ 95%' (no space before %, as the
    figures pages write a percentage)."""
    if bucket.low == 0 and bucket.high is not None:
        return f"< {bucket.high}%"
    if bucket.high is None:
        return f"≥ {bucket.low}%"
    return f"{bucket.low}–{bucket.high - 1}%"


def distribution_chart(
    buckets: Sequence[Bucket], *, chart_id: str = "adherence-chart"
) -> SafeString:
    """Return the adherence distribution as horizontal bars, one per bucket."""
    most = max((b.patients for b in buckets), default=0) or 1
    label_w, count_w = 64, 40
    plot_w = WIDTH - label_w - count_w
    row_h = (HEIGHT - TOP) / max(len(buckets), 1)
    parts: list[SafeString] = []
    for n, bucket in enumerate(buckets):
        y = TOP + n * row_h
        w = plot_w * bucket.patients / most
        middle = y + row_h / 2 + 5
        label = bucket_label(bucket)
        parts.append(_text(label_w - 6, middle, label, anchor="end", size=LABEL))
        parts.append(_rect(label_w, y + row_h * 0.2, w, row_h * 0.6, "#1f5f99"))
        parts.append(_text(label_w + w + 4, middle, str(bucket.patients), size=LABEL))
    total = sum(b.patients for b in buckets)
    title = _("Patients by adherence over the last 30 days")
    desc = _("%(total)d patients in treatment: %(parts)s.") % {
        "total": total,
        "parts": "; ".join(f"{bucket_label(b)}: {b.patients}" for b in buckets),
    }
    return _frame(chart_id, title, desc, parts)
