"""Facility profiles and a year of condition reviews for the demo province, and a few stays
so occupancy shows something. Only called by ``seed_demo`` (HOA_NHAP_DEMO=1), after the
people and cases; runs on SQLite."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from cases.choices import CaseStatus, ClientCategory, UnitLevel
from cases.demo import PROVINCE
from cases.models import AdministrativeUnit, Case, Organisation, StaffProfile
from services.models import ServiceType, ShelterStay
from services.models.victims import SHELTER_TYPE

from .models import (
    ChecklistItem,
    ChecklistVersion,
    ConditionReview,
    FacilityProfile,
    ItemResult,
    Overall,
    ReviewItem,
)

# Organisation type → (capacity, unit, services offered, who may use them, opening hours).
PROFILES: dict[str, tuple[int | None, str, tuple[str, ...], str, str]] = {
    "rehab-public": (
        120,
        "beds",
        ("counselling", "vocational_training"),
        "Người nghiện ma túy cai nghiện tự nguyện hoặc bắt buộc theo quyết định",
        "24/7",
    ),
    SHELTER_TYPE: (
        30,
        "places",
        ("essential_needs", "psychological", "legal_aid"),
        "Nạn nhân bị mua bán trở về, phụ nữ và trẻ em cần nơi ở tạm thời",
        "24/7",
    ),
    "methadone-clinic": (
        300,
        "patients",
        ("counselling",),
        "Người nghiện các chất dạng thuốc phiện đăng ký điều trị methadone",
        "6:30–11:00, 13:30–17:00 hằng ngày",
    ),
}
# A review about every quarter of the last year.
REVIEW_DAYS = (350, 260, 170, 80)


def _commune(organisation: Organisation) -> AdministrativeUnit | None:
    if organisation.unit.level == UnitLevel.COMMUNE:
        return organisation.unit
    return (
        AdministrativeUnit.objects.filter(
            level=UnitLevel.COMMUNE, path__startswith=organisation.unit.path
        )
        .order_by("code")
        .first()
    )


def seed(rng: random.Random) -> None:
    """Give each facility of the demo province a profile and four reviews over a year."""
    province = AdministrativeUnit.objects.filter(code=PROVINCE).first()
    checklist = ChecklistVersion.objects.filter(is_active=True).order_by("-valid_from").first()
    reviewer = (
        StaffProfile.objects.filter(role=Role.SUPERVISOR, scope_unit=province)
        .select_related("user")
        .first()
    )
    if province is None or checklist is None or reviewer is None:
        return
    today = timezone.localdate()
    services = {s.code: s for s in ServiceType.objects.all()}
    items = list(checklist.items.order_by("order", "number"))
    organisations = Organisation.objects.filter(
        unit__path__startswith=province.path, type__code__in=list(PROFILES)
    ).select_related("type", "unit")
    for n, organisation in enumerate(organisations.order_by("name")):
        commune = _commune(organisation)
        if commune is None:
            continue
        capacity, unit, offered, eligibility, hours = PROFILES[organisation.type.code]
        profile = FacilityProfile.objects.create(
            organisation=organisation,
            commune=commune,
            address=f"Số {10 + n} đường Mẫu Thử, {commune.name}",
            phone=f"0214 3{rng.randrange(10**5):05d}",
            opening_hours=hours,
            capacity=capacity,
            capacity_unit=unit,
            eligibility=eligibility,
            licence_number=f"{100 + n}/QĐ-UBND",
            licence_date=datetime.date(2022, 3, 1 + n),
            published=True,
        )
        profile.services.set([services[c] for c in offered if c in services])
        for days in REVIEW_DAYS:
            _review(
                rng, profile, checklist, items, today - datetime.timedelta(days=days), reviewer.user
            )
        if organisation.type.code == SHELTER_TYPE:
            _stays(rng, organisation, today, reviewer.user)


def _review(
    rng: random.Random,
    profile: FacilityProfile,
    checklist: ChecklistVersion,
    items: list[ChecklistItem],
    day: datetime.date,
    user: User,
) -> None:
    results = [ItemResult.NOT_MET if rng.random() < 0.04 else ItemResult.MET for _item in items]
    failed = ItemResult.NOT_MET in results
    review = ConditionReview.objects.create(
        facility=profile,
        checklist=checklist,
        reviewed_on=day,
        reviewer="Đoàn kiểm tra liên ngành tỉnh Mẫu Thử (demo)",
        overall=Overall.DOES_NOT_MEET if failed else Overall.MEETS,
        actions="Bổ sung trang thiết bị, hoàn thiện hồ sơ nhân sự trong 3 tháng" if failed else "",
        recorded_by=user,
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(review=review, item=item, result=result)
        for item, result in zip(items, results, strict=True)
    )


def _stays(rng: random.Random, shelter: Organisation, today: datetime.date, user: User) -> None:
    """Shelter stays of some of the returned victims whose case the shelter holds."""
    cases = Case.objects.filter(
        organisation=shelter,
        category=ClientCategory.TRAFFICKING_VICTIM,
        status=CaseStatus.OPEN,
    ).order_by("opened_on", "id")
    for case in cases[:8]:
        ShelterStay.objects.create(
            case=case,
            recorded_by=case.assigned_to or user,
            shelter=shelter,
            entered_on=max(case.opened_on, today - datetime.timedelta(days=rng.randrange(5, 90))),
        )
