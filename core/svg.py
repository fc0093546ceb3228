"""Inline SVG pieces for server-drawn charts: no script, no CDN, no inline style.

A chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` that scales to
its container (``viewBox``, width 100 %), so it reads on a 360 px phone; shapes use
presentation attributes only, which the Content-Security-Policy allows. The methadone and
coverage charts draw with these; each page shows the same figures as a table beside them.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def number(value: float) -> str:
    """Return a coordinate with one decimal."""
    return f"{value:.1f}"


def frame(
    chart_id: str, width: float, height: float, title: str, desc: str, parts: list[SafeString]
) -> SafeString:
    """Return the ``<svg>`` element around ``parts``, labelled by its title and description."""
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMidYMid meet" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>'
        '<desc id="{}-desc">{}</desc>{}</svg>',
        number(width),
        number(height),
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 11) -> SafeString:
    """Return a text label at (x, y)."""
    return format_html(
        '<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="#333">{}</text>',
        number(x),
        number(y),
        size,
        anchor,
        content,
    )


def rect(x: float, y: float, w: float, h: float, colour: str) -> SafeString:
    """Return a filled rectangle."""
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
        number(x),
        number(y),
        number(w),
        number(h),
        colour,
    )


def line(
    x1: float, y1: float, x2: float, y2: float, *, colour: str = "#666", dashed: bool = False
) -> SafeString:
    """Return a line, solid or dashed (a target mark)."""
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"{}/>',
        number(x1),
        number(y1),
        number(x2),
        number(y2),
        colour,
        2 if dashed else 1,
        format_html(' stroke-dasharray="{}"', "5 3") if dashed else "",
    )
