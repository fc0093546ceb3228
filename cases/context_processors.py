"""Template context every page needs: the emergency banner and the role-aware menu."""

from __future__ import annotations

from django.http import HttpRequest

from audit import context as audit_context

from . import access
from .choices import Role


def emergency_access(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not getattr(user, "is_verified", lambda: False)():
        return {"menu": {}}  # before the second factor: only the logout button
    return {
        "emergency_grants": audit_context.current().emergency_grants,
        "menu": {
            "cases": access.has_role(user, *access.CASE_ROLES),
            "emergency": access.has_role(user, *access.CASE_ROLES),
            "review": access.has_role(user, *access.REVIEW_ROLES),
            "audit": access.has_role(user, Role.AUDITOR),
            "admin": access.has_role(user, Role.ADMINISTRATOR),
        },
    }
