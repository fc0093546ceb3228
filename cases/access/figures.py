"""What aggregate figures may count: by the user's administrative unit only."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.capabilities import can

from .. import capabilities as caps
from ..models import (
    AdministrativeUnit,
    Case,
    Person,
)
from .reach import AnyUser, _units_under, profile_of


def figures_unit(user: AnyUser) -> AdministrativeUnit | None:
    """Return the unit whose figures the user may see (their scope unit), or None."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.FIGURES_VIEW):
        return None
    return profile.scope_unit


def figures_people(user: AnyUser) -> QuerySet[Person]:
    """Return the people aggregate figures may count for the user: those resident in the
    user's scope unit and below. Grants (one by one, emergency) never widen it."""
    unit = figures_unit(user)
    if unit is None:
        return Person.objects.none()
    return Person.objects.filter(residence_commune_id__in=_units_under(unit))


def figures_cases(user: AnyUser) -> QuerySet[Case]:
    """Return the cases aggregate figures may count: of people resident in the scope unit."""
    unit = figures_unit(user)
    if unit is None:
        return Case.objects.none()
    return Case.objects.filter(residence_commune_id__in=_units_under(unit))
