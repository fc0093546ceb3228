"""``{% can "case.change" case as can_edit %}``: the capability check, in templates."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.capabilities import can as _can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], capability: str, obj: Any = None) -> bool:
    """Return whether the page's user holds the capability (on ``obj``)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user is not None and _can(user, capability, obj)
