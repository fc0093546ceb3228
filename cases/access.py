"""Decide who may see, change or add which people and cases — the one place that does.

Every view, form choice list, search, export and report reaches people and cases through
``visible_people`` / ``visible_cases`` or the ``get_*_for_user`` helpers, which answer 404 for
anything out of scope (so existence does not leak) and record the denial.
"""

from __future__ import annotations

import logging
from typing import Literal
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from .choices import Role
from .models import Case, Organisation, Person, StaffProfile

Perm = Literal["view", "change", "add"]
AnyUser = User | AnonymousUser

logger = logging.getLogger("hoa_nhap.access")

# Roles that hold case content at all; auditors and administrators never do.
CASE_ROLES = {Role.CASEWORKER, Role.COMMUNE_OFFICER, Role.SUPERVISOR}
# Roles that may write case content; supervisors read and review only.
WRITE_ROLES = {Role.CASEWORKER, Role.COMMUNE_OFFICER}


def profile_of(user: AnyUser) -> StaffProfile | None:
    """Return the active user's staff profile, or None for anyone without one."""
    if not isinstance(user, User) or not user.is_active:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def _reader_profile(user: AnyUser, perm: Perm) -> StaffProfile | None:
    """Return the profile if its role may ``perm`` existing case content at all."""
    profile = profile_of(user)
    if profile is None or profile.role not in CASE_ROLES or perm == "add":
        return None
    if perm == "view" or profile.role in WRITE_ROLES:
        return profile
    return None


def _case_filter(user: AnyUser, profile: StaffProfile) -> Q:
    scope = profile.scope_unit
    own_org = Q(organisation_id=profile.organisation_id)
    if profile.role == Role.CASEWORKER:
        return own_org | Q(assigned_to_id=user.pk)
    if profile.role == Role.COMMUNE_OFFICER:
        return own_org | scope.subtree_q("person__residence_commune__")
    # Supervisor: the scope unit's subtree, by where people live or where the case is held.
    return scope.subtree_q("person__residence_commune__") | scope.subtree_q("organisation__unit__")


def visible_cases(user: AnyUser, perm: Perm = "view") -> QuerySet[Case]:
    """Return the cases the user may view (or change)."""
    profile = _reader_profile(user, perm)
    if profile is None:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, profile))


def visible_people(user: AnyUser, perm: Perm = "view") -> QuerySet[Person]:
    """Return the people the user may view (or change)."""
    profile = _reader_profile(user, perm)
    if profile is None:
        return Person.objects.none()
    scope = profile.scope_unit
    registered_here = Q(registered_by_id=profile.organisation_id)
    with_visible_case = Q(pk__in=visible_cases(user, perm).values("person_id"))
    if profile.role == Role.CASEWORKER:
        return Person.objects.filter(registered_here | with_visible_case)
    if profile.role == Role.COMMUNE_OFFICER:
        return Person.objects.filter(
            registered_here | scope.subtree_q("residence_commune__") | with_visible_case
        )
    return Person.objects.filter(scope.subtree_q("residence_commune__") | with_visible_case)


def can_register_people(user: AnyUser) -> bool:
    """Return whether the user may register a new person."""
    profile = profile_of(user)
    return profile is not None and profile.role in WRITE_ROLES


def case_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """Return the organisations the user may open or hold cases for: their own."""
    profile = profile_of(user)
    if profile is None or profile.role not in WRITE_ROLES:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=profile.organisation_id, is_active=True)


def _deny(user: AnyUser, kind: str, object_id: UUID, perm: Perm) -> None:
    # Only ids go into the log: never a name or identifier of the person.
    logger.warning(
        "access denied: user=%s perm=%s %s=%s", getattr(user, "pk", None), perm, kind, object_id
    )


def get_person_for_user(user: AnyUser, person_id: UUID, perm: Perm = "view") -> Person:
    """Return the person if the user holds ``perm`` on them, else record a denial and 404."""
    try:
        return visible_people(user, perm).get(pk=person_id)
    except Person.DoesNotExist:
        _deny(user, "person", person_id, perm)
        raise Http404 from None


def get_case_for_user(user: AnyUser, case_id: UUID, perm: Perm = "view") -> Case:
    """Return the case if the user holds ``perm`` on it, else record a denial and 404."""
    try:
        return visible_cases(user, perm).select_related("person", "organisation").get(pk=case_id)
    except Case.DoesNotExist:
        _deny(user, "case", case_id, perm)
        raise Http404 from None
