"""The emergency accesses a reviewer (supervisor, auditor) may review."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from accounts.capabilities import can, has_role

from .. import capabilities as caps
from ..choices import Role
from ..models import (
    EmergencyAccess,
)
from .fetch import deny
from .reach import AnyUser, profile_of


def reviewable_emergency_accesses(user: AnyUser) -> QuerySet[EmergencyAccess]:
    """Return the emergency accesses the user reviews: all for an auditor; for a supervisor,
    those by staff of, or about people living in, their scope unit's subtree."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.EMERGENCY_REVIEW):
        return EmergencyAccess.objects.none()
    if has_role(user, Role.AUDITOR):
        return EmergencyAccess.objects.all()
    scope = profile.scope_unit
    return EmergencyAccess.objects.filter(
        scope.subtree_q("user__staff__organisation__unit__")
        | scope.subtree_q("person__residence_commune__")
    )


def get_emergency_access_for_review(user: AnyUser, access_id: UUID) -> EmergencyAccess:
    """Return an emergency access the user reviews, else record a denial and 404."""
    found = reviewable_emergency_accesses(user).filter(pk=access_id).first()
    if found is None:
        deny(user, "change", object_type="emergencyaccess", object_id=access_id)
        raise Http404
    return found
