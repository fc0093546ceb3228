"""Choice lists for forms, and whether lists mask returned trafficking victims."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts import capabilities
from accounts.capabilities import can, has_role
from accounts.models import User

from .. import capabilities as caps
from ..choices import ClientCategory, Role
from ..models import (
    Case,
    Organisation,
)
from .reach import AnyUser, profile_of


def case_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """Return the organisations the user may open or hold cases for: their own."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.CASE_ADD):
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=profile.organisation_id, is_active=True)


def assignable_staff(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """Return the active staff of these organisations whose role may hold a case (people,
    not API clients' service accounts)."""
    return (
        User.objects.filter(
            is_active=True,
            is_service_account=False,
            staff__organisation__in=organisations,
            groups__name__in=sorted(capabilities.holders(caps.CASE_CHANGE)),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def masks_victims(user: AnyUser) -> bool:
    """Return whether lists shown to the user hide returned trafficking victims' identities."""
    return has_role(user, Role.SUPERVISOR)


def victim_person_ids(people: list[UUID]) -> set[UUID]:
    """Return which of these people have a returned-trafficking-victim case."""
    return set(
        Case.objects.filter(
            person_id__in=people, category=ClientCategory.TRAFFICKING_VICTIM
        ).values_list("person_id", flat=True)
    )
