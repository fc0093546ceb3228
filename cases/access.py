"""Decide who may see, change or add which people and cases — the one place that does.

Every view, form choice list, search, export and report reaches people and cases through
``visible_people`` / ``visible_cases`` or the ``get_*_for_user`` helpers. The helpers record
each read as an access event, and answer 404 for anything out of scope (so existence does
not leak) after recording the denial.

Roles come from the user's groups (cases.roles); scope from the staff profile; one-by-one
grants (a referral's acceptance, an emergency access) from guardian's direct-FK tables,
honouring their expiry.
"""

from __future__ import annotations

import logging
from typing import Any, Literal
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from audit import actions as audit
from audit import context as audit_context
from audit.choices import Action

from .choices import ClientCategory, Role
from .models import (
    Case,
    CaseUserObjectPermission,
    EmergencyAccess,
    Organisation,
    Person,
    PersonUserObjectPermission,
    StaffProfile,
)
from .roles import roles_of

Perm = Literal["view", "change", "add"]
AnyUser = User | AnonymousUser

logger = logging.getLogger("hoa_nhap.access")

# Roles that hold case content at all; auditors and administrators never do.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.COMMUNE_OFFICER, Role.SUPERVISOR})
# Roles that may write case content; supervisors read and review only.
WRITE_ROLES = frozenset({Role.CASEWORKER, Role.COMMUNE_OFFICER})
# Roles that review emergency accesses.
REVIEW_ROLES = frozenset({Role.SUPERVISOR, Role.AUDITOR})


def profile_of(user: AnyUser) -> StaffProfile | None:
    """Return the active user's staff profile, or None for anyone without one."""
    if not isinstance(user, User) or not user.is_active:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def has_role(user: AnyUser, *roles: str) -> bool:
    """Return whether the user holds any of the roles (and has a staff profile)."""
    return profile_of(user) is not None and not roles_of(user).isdisjoint(roles)


def _content_roles(user: AnyUser, perm: Perm) -> tuple[StaffProfile | None, frozenset[str]]:
    """Return the profile and the roles that let the user ``perm`` existing case content."""
    profile = profile_of(user)
    if profile is None or perm == "add":
        return None, frozenset()
    wanted = CASE_ROLES if perm == "view" else WRITE_ROLES
    return profile, roles_of(user) & wanted


def _granted(table: type[Any], user: User, codename: str) -> Q:
    """Match objects granted to the user one by one, not yet expired."""
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    mine = table.objects.filter(live, user=user, permission__codename=codename)
    return Q(pk__in=mine.values("content_object_id"))


def _role_case_filter(role: str, user: User, profile: StaffProfile) -> Q:
    scope = profile.scope_unit
    if role == Role.CASEWORKER:
        return Q(organisation_id=profile.organisation_id) | Q(assigned_to_id=user.pk)
    if role == Role.COMMUNE_OFFICER:
        return Q(organisation_id=profile.organisation_id) | scope.subtree_q(
            "person__residence_commune__"
        )
    # Supervisor: the scope unit's subtree, by where people live or where the case is held.
    return scope.subtree_q("person__residence_commune__") | scope.subtree_q("organisation__unit__")


def _role_person_filter(role: str, profile: StaffProfile) -> Q:
    registered_here = Q(registered_by_id=profile.organisation_id)
    if role == Role.CASEWORKER:
        return registered_here
    if role == Role.COMMUNE_OFFICER:
        return registered_here | profile.scope_unit.subtree_q("residence_commune__")
    return profile.scope_unit.subtree_q("residence_commune__")


def visible_cases(user: AnyUser, perm: Perm = "view") -> QuerySet[Case]:
    """Return the cases the user may view (or change)."""
    profile, roles = _content_roles(user, perm)
    if profile is None or not roles:
        return Case.objects.none()
    assert isinstance(user, User)  # noqa: S101  (profile_of returned a profile)
    where = _granted(CaseUserObjectPermission, user, f"{perm}_case")
    for role in sorted(roles):
        where |= _role_case_filter(role, user, profile)
    return Case.objects.filter(where)


def visible_people(user: AnyUser, perm: Perm = "view") -> QuerySet[Person]:
    """Return the people the user may view (or change)."""
    profile, roles = _content_roles(user, perm)
    if profile is None or not roles:
        return Person.objects.none()
    assert isinstance(user, User)  # noqa: S101
    where = _granted(PersonUserObjectPermission, user, f"{perm}_person")
    where |= Q(pk__in=visible_cases(user, perm).values("person_id"))
    for role in sorted(roles):
        where |= _role_person_filter(role, profile)
    return Person.objects.filter(where)


def can_register_people(user: AnyUser) -> bool:
    """Return whether the user may register a new person."""
    return has_role(user, *WRITE_ROLES)


def case_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """Return the organisations the user may open or hold cases for: their own."""
    profile = profile_of(user)
    if profile is None or not has_role(user, *WRITE_ROLES):
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=profile.organisation_id, is_active=True)


def assignable_staff(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """Return the active caseworkers and commune officers of these organisations."""
    return (
        User.objects.filter(
            is_active=True,
            staff__organisation__in=organisations,
            groups__name__in=sorted(WRITE_ROLES),
        )
        .distinct()
        .order_by("username")
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


def _deny(user: AnyUser, kind: str, object_id: UUID, perm: Perm) -> None:
    # Only ids go into the log and the event: never a name or identifier of the person.
    logger.warning(
        "access denied: user=%s perm=%s %s=%s", getattr(user, "pk", None), perm, kind, object_id
    )
    audit.record(
        actor=user, action=Action.DENIED, object_type=kind, object_id=object_id,
        detail={"perm": perm},
    )  # fmt: skip


def _note_emergency(user: AnyUser, person_id: UUID) -> EmergencyAccess | None:
    """Return the user's live emergency access to the person, and flag it for the banner."""
    grant = (
        EmergencyAccess.objects.filter(user_id=getattr(user, "pk", None) or 0, person_id=person_id)
        .filter(expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
    if grant is not None:
        audit_context.current().emergency_grants.append(grant)
    return grant


def _read_detail(user: AnyUser, person_id: UUID, perm: Perm) -> dict[str, object]:
    grant = _note_emergency(user, person_id)
    detail: dict[str, object] = {"perm": perm}
    if grant is not None:
        detail["emergency_access"] = str(grant.pk)
    return detail


def _get_or_deny[M: models.Model](
    user: AnyUser, allowed: QuerySet[M], kind: str, object_id: UUID, perm: Perm
) -> M:
    """Return the object from ``allowed``, or record a denial and answer 404."""
    found = allowed.filter(pk=object_id).first()
    if found is None:
        _deny(user, kind, object_id, perm)
        raise Http404
    return found


def get_person_for_user(
    user: AnyUser, person_id: UUID, perm: Perm = "view", *, record_read: bool = True
) -> Person:
    """Return the person if the user holds ``perm`` on them (recording the read), else 404.

    Actions pass ``record_read=False``: they record the write they make instead.
    """
    person = _get_or_deny(user, visible_people(user, perm), "person", person_id, perm)
    if not record_read:
        return person
    audit.record(
        actor=user, action=Action.PERSON_READ, obj=person,
        detail=_read_detail(user, person.pk, perm),
    )  # fmt: skip
    return person


def get_case_for_user(
    user: AnyUser, case_id: UUID, perm: Perm = "view", *, record_read: bool = True
) -> Case:
    """Return the case if the user holds ``perm`` on it (recording the read), else 404."""
    allowed = visible_cases(user, perm).select_related("person", "organisation")
    case = _get_or_deny(user, allowed, "case", case_id, perm)
    if not record_read:
        return case
    audit.record(
        actor=user, action=Action.CASE_READ, obj=case,
        detail=_read_detail(user, case.person_id, perm),
    )  # fmt: skip
    return case


def reviewable_emergency_accesses(user: AnyUser) -> QuerySet[EmergencyAccess]:
    """Return the emergency accesses the user reviews: all for an auditor; for a supervisor,
    those by staff of, or about people living in, their scope unit's subtree."""
    profile = profile_of(user)
    if profile is None or not has_role(user, *REVIEW_ROLES):
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
    allowed = reviewable_emergency_accesses(user)
    return _get_or_deny(user, allowed, "emergencyaccess", access_id, "change")
