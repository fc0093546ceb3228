"""Which people and cases a register export holds: the user's scope, never a grant.

Three scopes, each a subset of what ``cases.access`` already lets the user see by a role's
rule (decision D40):

- ``caseload``: the cases assigned to the user, and their people (caseworkers and commune
  officers);
- ``organisation``: the cases the user's organisation holds, and their people (a clinic's
  register; caseworkers and commune officers);
- ``unit``: the people resident in a unit of the user's scope (a commune officer's commune,
  a supervisor's district or province, or a unit below it), with all their cases.

One-by-one grants (a referral, an emergency access) never put anyone in an export: the
scopes are defined by assignment, holder and residence, and each queryset is still taken
through ``access.visible_people`` / ``visible_cases``, so nothing outside the user's view
can come out. A supervisor's export leaves out the people with a returned trafficking
victim case, whose identities every list shown to a supervisor masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can, has_role
from cases import access
from cases.choices import ClientCategory, Role
from cases.models import AdministrativeUnit, Case, Person

from .export_capabilities import REGISTER_EXPORT

Kind = Literal["caseload", "organisation", "unit"]
KINDS: tuple[Kind, ...] = ("caseload", "organisation", "unit")
KIND_LABELS = {
    "caseload": _("My caseload (cases assigned to me)"),
    "organisation": _("My organisation's cases"),
    "unit": _("The register of an area (people living there)"),
}
# Roles offered each scope: holders by assignment and organisation write cases; areas are
# what commune officers and supervisors are responsible for.
KIND_ROLES: dict[Kind, tuple[str, ...]] = {
    "caseload": (Role.CASEWORKER, Role.COMMUNE_OFFICER),
    "organisation": (Role.CASEWORKER, Role.COMMUNE_OFFICER),
    "unit": (Role.COMMUNE_OFFICER, Role.SUPERVISOR),
}


@dataclass(frozen=True)
class Scope:
    kind: Kind
    unit: AdministrativeUnit | None = None

    def describe(self) -> dict[str, str]:
        """Return the scope as the audit event and the task hold it (ids, no names)."""
        return {"kind": self.kind, "unit": self.unit.code if self.unit else ""}


def kinds_for(user: access.AnyUser) -> list[Kind]:
    """Return the scopes the user may export, in the order the page offers them."""
    if not can(user, REGISTER_EXPORT):
        return []
    return [k for k in KINDS if any(has_role(user, role) for role in KIND_ROLES[k])]


def units_for(user: access.AnyUser) -> list[AdministrativeUnit]:
    """Return the units whose register the user may export: their scope unit and below."""
    profile = access.profile_of(user)
    if profile is None or "unit" not in kinds_for(user) or profile.scope_unit is None:
        return []
    top = profile.scope_unit
    return list(AdministrativeUnit.objects.filter(path__startswith=top.path).order_by("path"))


def scope_for(user: access.AnyUser, kind: str, unit_code: str = "") -> Scope:
    """Return the scope the user asked for; anything they may not export is refused (404,
    a denial event), so a forged unit code does not tell whether the unit exists."""
    if kind not in kinds_for(user):
        access.deny(user, "export_register", object_type="scope", object_id=kind)
        raise Http404
    if kind != "unit":
        return Scope(kind)
    unit = next((u for u in units_for(user) if u.code == unit_code), None)
    if unit is None:
        access.deny(user, "export_register", object_type="administrativeunit", object_id=unit_code)
        raise Http404
    return Scope("unit", unit)


def scope_cases(user: access.AnyUser, scope: Scope) -> QuerySet[Case]:
    """Return the cases the export holds."""
    cases = access.visible_cases(user, "view")
    profile = access.profile_of(user)
    if profile is None:
        return cases.none()
    if scope.kind == "caseload":
        cases = cases.filter(assigned_to_id=user.pk)
    elif scope.kind == "organisation":
        cases = cases.filter(organisation_id=profile.organisation_id)
    else:
        assert scope.unit is not None  # noqa: S101  (scope_for gives a unit scope a unit)
        cases = cases.filter(residence_commune__path__startswith=scope.unit.path)
    if access.masks_victims(user):
        cases = cases.filter(~Exists(_victim_case(user, "person_id")))
    return cases


def _victim_case(user: access.AnyUser, person: str) -> QuerySet[Case]:
    """The returned-trafficking-victim cases of the outer row's person."""
    return access.visible_cases(user, "view").filter(
        person_id=OuterRef(person), category=ClientCategory.TRAFFICKING_VICTIM
    )


def scope_people(user: access.AnyUser, scope: Scope) -> QuerySet[Person]:
    """Return the people the export holds."""
    people = access.visible_people(user, "view")
    if scope.kind == "unit":
        assert scope.unit is not None  # noqa: S101
        people = people.filter(residence_commune__path__startswith=scope.unit.path)
    else:
        cases = scope_cases(user, scope).filter(person_id=OuterRef("pk"))
        people = people.filter(Exists(cases))
    if access.masks_victims(user):
        people = people.filter(~Exists(_victim_case(user, "pk")))
    return people
