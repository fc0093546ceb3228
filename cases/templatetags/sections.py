"""The sections other apps add to a record's page (``cases.timeline.record_sections``)."""

from __future__ import annotations

from typing import Any

from django import template

from cases import timeline

register = template.Library()


@register.simple_tag(takes_context=True)
def record_sections(context: template.Context, record: Any) -> list[timeline.PersonSection]:
    """Return the sections other apps show on this record's page for the page's viewer."""
    return timeline.record_sections(viewer=context["request"].user, record=record)
