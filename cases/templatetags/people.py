"""Template filters for people's records."""

from __future__ import annotations

import datetime

from django import template

register = template.Library()


@register.filter
def iso_date(value: str) -> datetime.date | str:
    """Turn a date kept as ISO text (an encrypted field) into a date the |date filter shows."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
