"""Builders of the facility tests: profiles and reviews written directly (the indicators read
rows, not forms)."""

from __future__ import annotations

import datetime

from accounts.models import User
from cases.models import AdministrativeUnit, Organisation, OrganisationType
from facilities.models import ChecklistVersion, ConditionReview, FacilityProfile, Overall


def facility(
    name: str,
    type_code: str,
    commune: AdministrativeUnit,
    *,
    capacity: int | None = None,
    unit: str = "beds",
    org_unit: AdministrativeUnit | None = None,
    published: bool = True,
    active: bool = True,
) -> FacilityProfile:
    organisation = Organisation.objects.create(
        name=name,
        type=OrganisationType.objects.get(code=type_code),
        unit=org_unit or commune,
        is_active=active,
    )
    return FacilityProfile.objects.create(
        organisation=organisation,
        commune=commune,
        address=f"Số 1, {commune.name}",
        capacity=capacity,
        capacity_unit=unit if capacity is not None else "",
        published=published,
    )


def review(
    profile: FacilityProfile, on: datetime.date, overall: str, user: User
) -> ConditionReview:
    checklist = ChecklistVersion.objects.get(code="nd-116-2021")
    return ConditionReview.objects.create(
        facility=profile,
        checklist=checklist,
        reviewed_on=on,
        reviewer="Đoàn kiểm tra",
        overall=overall,
        actions="" if overall == Overall.MEETS else "Bổ sung nhân sự",
        recorded_by=user,
    )


def make_facility_profile(organisation: Organisation) -> FacilityProfile:
    """A profile of an existing organisation, standing in its unit (or its first commune)."""
    commune = (
        AdministrativeUnit.objects.filter(level="commune", path__startswith=organisation.unit.path)
        .order_by("path")
        .first()
    )
    assert commune is not None
    return FacilityProfile.objects.create(
        organisation=organisation,
        commune=commune,
        address=f"Số 2, {commune.name}",
        capacity=20,
        capacity_unit="beds",
    )


def make_review(profile: FacilityProfile, user: User) -> ConditionReview:
    """A passing review of the profile, dated today."""
    import django.utils.timezone

    return review(profile, django.utils.timezone.localdate(), Overall.MEETS, user)
