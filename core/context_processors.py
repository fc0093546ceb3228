"""Template context every page needs: the main menu, the emergency-access banner, today."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from . import navigation


def navigation_menu(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not getattr(user, "is_verified", lambda: False)():
        return {"menu": []}  # before the second factor: only the logout button
    return {
        "menu": navigation.menu_for(user),
        # Set by the access layer on a page that an emergency grant unlocked.
        "emergency_grants": getattr(request, "emergency_grants", []),
    }


def today(request: HttpRequest) -> dict[str, object]:
    """Give templates today's local date (what "overdue" is measured against)."""
    return {"today": timezone.localdate()}
