"""The start pages' counts, gathered from the sections apps declare (core.navigation)."""

from __future__ import annotations

from typing import Any

from django import template

from core import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def start_tallies(context: dict[str, Any]) -> list[navigation.Tally]:
    """Return the counts the apps show the signed-in user on a start page: only those with
    something in them (a "0" card is a line of a phone's screen with nothing to do; the
    queues stay in the menu)."""
    request = context.get("request")
    return [t for t in navigation.tallies_for(getattr(request, "user", None)) if t.value]
