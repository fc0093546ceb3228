"""Reads of the facility registry, scoped by the reader's unit.

Supervisors and administrators reach the facilities of the organisations in their scope
unit's subtree (``facilities_for``); anything else, or a malformed id, is recorded as a
denial and answers 404. ``public_facilities`` is what the public directory (issue 32) may
show: published profiles, public fields only, no client data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.text import capfirst

from accounts.capabilities import can
from cases import access
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit, Organisation

from .capabilities import FACILITY_CHANGE, FACILITY_VIEW, REVIEW_RECORD
from .models import ChecklistVersion, ConditionReview, FacilityProfile

VERBS = {"view": FACILITY_VIEW, "change": FACILITY_CHANGE, "review": REVIEW_RECORD}


def _scope_unit(user: access.AnyUser, verb: str) -> AdministrativeUnit | None:
    profile = access.profile_of(user)
    if profile is None or not can(user, VERBS[verb]):
        return None
    return profile.scope_unit


def facilities_for(user: access.AnyUser, verb: str = "view") -> QuerySet[FacilityProfile]:
    """Return the facility profiles the user may read (``view``), change or review."""
    unit = _scope_unit(user, verb)
    if unit is None:
        return FacilityProfile.objects.none()
    latest = ConditionReview.objects.filter(facility=OuterRef("pk")).order_by(
        "-reviewed_on", "-created_at"
    )
    return (
        FacilityProfile.objects.filter(organisation__unit__path__startswith=unit.path)
        .select_related("organisation__type", "organisation__unit", "commune")
        .annotate(
            latest_overall=Subquery(latest.values("overall")[:1]),
            latest_on=Subquery(latest.values("reviewed_on")[:1]),
        )
    )


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def _deny(user: access.AnyUser, kind: str, object_id: Any, verb: str) -> None:
    access.deny(user, VERBS[verb], object_type=kind, object_id=str(object_id))


def facility_for_user(
    user: access.AnyUser, facility_id: Any, verb: str = "view"
) -> FacilityProfile:
    """Return the facility if the user holds ``verb`` on it, else record a denial and 404."""
    wanted = _uuid(facility_id)
    found = facilities_for(user, verb).filter(pk=wanted).first() if wanted else None
    if found is None:
        _deny(user, "facilityprofile", facility_id, verb)
        raise Http404
    return found


def review_for_user(user: access.AnyUser, review_id: Any, verb: str = "view") -> ConditionReview:
    """Return the review if the user holds ``verb`` on its facility, else a denial and 404."""
    wanted = _uuid(review_id)
    found = (
        ConditionReview.objects.filter(
            pk=wanted, facility__in=facilities_for(user, verb).values("pk")
        )
        .select_related("facility__organisation", "checklist", "recorded_by")
        .first()
        if wanted
        else None
    )
    if found is None:
        _deny(user, "conditionreview", review_id, verb)
        raise Http404
    return found


def organisations_to_profile(user: access.AnyUser) -> QuerySet[Organisation]:
    """Return the organisations of the user's area that have no facility profile yet."""
    unit = _scope_unit(user, "change")
    if unit is None:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(
            unit__path__startswith=unit.path, is_active=True, facility__isnull=True
        )
        .select_related("type", "unit")
        .order_by("name")
    )


def communes_of(
    organisation: Organisation | None, user: access.AnyUser
) -> QuerySet[AdministrativeUnit]:
    """Return the communes a facility of ``organisation`` may stand in: under its unit, in the
    user's area (every commune of the area while no organisation is chosen)."""
    unit = _scope_unit(user, "change")
    if unit is None:
        return AdministrativeUnit.objects.none()
    found = AdministrativeUnit.objects.filter(
        level=UnitLevel.COMMUNE, is_active=True, path__startswith=unit.path
    )
    if organisation is not None:
        found = found.filter(path__startswith=organisation.unit.path)
    return found.order_by("name")


def current_checklist() -> ChecklistVersion | None:
    """Return the checklist version a new review answers: the latest one in use."""
    return ChecklistVersion.objects.filter(is_active=True).order_by("-valid_from", "code").first()


def facility_reviews(facility: FacilityProfile) -> QuerySet[ConditionReview]:
    """Return the facility's reviews, newest first."""
    return facility.reviews.select_related("checklist", "recorded_by").order_by(
        "-reviewed_on", "-created_at"
    )


def review_answers(review: ConditionReview) -> list[Any]:
    """Return the review's answers in checklist order."""
    return list(review.items.select_related("item").order_by("item__order", "item__number"))


@dataclass(frozen=True)
class Change:
    """One saved version of a profile: when, by whom, and which fields changed."""

    when: datetime.datetime
    who: str
    kind: str
    fields: list[str]


def facility_history(facility: FacilityProfile) -> list[Change]:
    """Return the profile's versions, newest first, with the fields each one changed.

    Setting the services writes a second history row of the same version (simple-history
    records many-to-many changes apart): rows of one version are shown as one change.
    """
    rows = FacilityProfile.history.filter(id=facility.pk)
    records = list(rows.select_related("history_user").order_by("history_date"))
    labels = {
        f.name: str(capfirst(getattr(f, "verbose_name", f.name)))
        for f in FacilityProfile._meta.get_fields()
    }
    changes: list[Change] = []
    versions: list[int] = []
    for n, record in enumerate(records):
        fields: list[str] = []
        if n:
            delta = record.diff_against(records[n - 1], excluded_fields=["version", "updated_at"])
            fields = [labels.get(c.field, c.field) for c in delta.changes]
        user = record.history_user
        if versions and versions[-1] == record.version:
            last = changes[-1]
            merged = last.fields + [f for f in fields if f not in last.fields]
            changes[-1] = Change(when=last.when, who=last.who, kind=last.kind, fields=merged)
            continue
        versions.append(record.version)
        changes.append(
            Change(
                when=record.history_date,
                who=user.get_username() if user is not None else "",
                kind=record.history_type,
                fields=fields,
            )
        )
    return changes[::-1]


@dataclass(frozen=True)
class PublicService:
    """A service offered, by code with both names: the page picks its language's."""

    code: str
    name_vi: str
    name_en: str
    # The client categories it is offered to (codes); empty: everyone.
    applies_to: tuple[str, ...]


@dataclass(frozen=True)
class PublicFacility:
    """What the public directory may show of a facility: no client data, no management field.

    Codes travel beside the names typed in Vietnamese (the type's, the services'), so a page
    in another language translates them (D62)."""

    id: UUID
    public_name: str
    facility_type_code: str
    facility_type: str
    address: str
    commune: str
    phone: str
    opening_hours: str
    opening_hours_en: str
    capacity: int | None
    capacity_unit: str
    services: list[PublicService]
    services_other: str
    eligibility: str
    licence_number: str
    licence_date: datetime.date | None


def public_facilities(unit: AdministrativeUnit) -> list[PublicFacility]:
    """Return the published facilities standing in ``unit``'s subtree, public fields only."""
    profiles = (
        FacilityProfile.objects.filter(
            published=True,
            organisation__is_active=True,
            commune__path__startswith=unit.path,
        )
        .select_related("organisation__type", "commune")
        .prefetch_related("services")
        .order_by("organisation__name")
    )
    return [
        PublicFacility(
            id=p.pk,
            public_name=p.organisation.name,
            facility_type_code=p.organisation.type.code,
            facility_type=p.organisation.type.name,
            address=p.address,
            commune=p.commune.name,
            phone=p.phone,
            opening_hours=p.opening_hours,
            opening_hours_en=p.opening_hours_en,
            capacity=p.capacity,
            capacity_unit=p.capacity_unit,
            services=[
                PublicService(s.code, s.name_vi, s.name_en, tuple(s.applies_to or ()))
                for s in sorted(p.services.all(), key=lambda s: (s.order, s.code))
            ],
            services_other=p.services_other,
            eligibility=p.eligibility,
            licence_number=p.licence_number,
            licence_date=p.licence_date,
        )
        for p in profiles
    ]


def occupancy_today(facilities: list[FacilityProfile]) -> dict[UUID, int]:
    """Return the people staying today at each facility (by organisation id): counts only."""
    from django.utils import timezone

    from .occupancy import staying

    return staying(timezone.localdate(), [f.organisation_id for f in facilities])
