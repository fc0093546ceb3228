"""The unread count for the bell in the header of every page."""

from __future__ import annotations

from django.http import HttpRequest

from . import selectors


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """Give templates the signed-in user's unread count (one indexed COUNT)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not getattr(user, "is_verified", lambda: False)():
        return {}  # before the second factor the header shows no bell
    return {"unread_notifications": selectors.unread_count(user)}
