"""A year of fictitious courses, volunteers and communication activities for the demo
province (Nov 2025 – Oct 2026), and the activities its Lào Cai-style plan sets out. Only
called by ``seed_demo``; small, and uses its own seeded generator, so the other apps' demo
records stay the same."""

from __future__ import annotations

import datetime
import random

from accounts.models import User
from cases.choices import UnitLevel
from cases.demo import PROVINCE
from cases.models import AdministrativeUnit
from reports.models import Comparison, Plan, Target, TargetKind

from .models import (
    Activity,
    ActivityKind,
    Attendance,
    AttendeeRole,
    Audience,
    Course,
    PlannedActivity,
    Topic,
    Volunteer,
)
from .selectors import case_staff_roles

FIRST = datetime.date(2025, 11, 1)
VOLUNTEERS = [
    "Lò Văn Mẫu",
    "Giàng Thị Thử",
    "Nguyễn Thị Mẫu",
    "Trần Văn Thử",
    "Sùng A Mẫu",
    "Phạm Thị Thử",
]
COURSES = [
    # title, topic, audience, unit code, month offset
    ("Tập huấn điều trị nghiện cho cán bộ xã", "treatment", Audience.COMMUNE_STAFF, "99", 1),
    ("Quản lý sau cai tại cộng đồng", "post_rehab", Audience.COMMUNE_STAFF, "991", 3),
    ("Kỹ năng tư vấn cho tình nguyện viên", "counselling", Audience.VOLUNTEERS, "992", 4),
    (
        "Điểm tư vấn cộng đồng: hỗ trợ người nghiện",
        "counselling",
        Audience.COUNSELLING_POINT,
        "99",
        6,
    ),
    ("Chăm sóc người nghiện tại gia đình", "family_care", Audience.FAMILY_CAREGIVERS, "99101", 7),
    ("Cập nhật quy trình điều trị methadone", "treatment", Audience.DISTRICT_STAFF, "99", 9),
    ("Quản lý sau cai cho tình nguyện viên", "post_rehab", Audience.VOLUNTEERS, "991", 10),
]
KINDS = [ActivityKind.SESSION, ActivityKind.SESSION, ActivityKind.FORUM, ActivityKind.TALK]
KINDS += [ActivityKind.PARENTING, ActivityKind.LIFE_SKILLS, ActivityKind.CONTEST]


def _month(offset: int, day: int = 10) -> datetime.date:
    month = FIRST.month - 1 + offset
    return datetime.date(FIRST.year + month // 12, month % 12 + 1, day)


def seed(rng: random.Random) -> None:
    """Add the demo province's courses, volunteers, activities and planned activities."""
    del rng  # its own generator: the other apps' draws stay as they were
    # Fictitious demo data, reproducible on purpose: not a secret.
    local = random.Random(29)  # noqa: S311  # nosec B311
    units = {u.code: u for u in AdministrativeUnit.objects.filter(path__startswith=f"/{PROVINCE}/")}
    communes = [u for u in units.values() if u.level == UnitLevel.COMMUNE]
    topics = {t.code: t for t in Topic.objects.all()}
    volunteers = [
        Volunteer.objects.create(
            name=name,
            unit=communes[n % len(communes)],
            organisation="Hội Liên hiệp Phụ nữ xã (demo)",
            registered_on=_month(n % 3, 1) - datetime.timedelta(days=200),
        )
        for n, name in enumerate(VOLUNTEERS)
    ]
    staff = list(
        User.objects.filter(
            staff__role__in=case_staff_roles(), username__in=["lan", "tuan", "minh", "duc"]
        )
    )
    for n, (title, topic, audience, unit, offset) in enumerate(COURSES):
        start = _month(offset, 8 + n)
        course = Course.objects.create(
            title=title,
            topic=topics[topic],
            audience=audience,
            organiser="Sở Y tế – Xã hội tỉnh Mẫu Thử (demo)",
            unit=units[unit],
            place="Hội trường UBND (demo)",
            starts_on=start,
            ends_on=start + datetime.timedelta(days=1),
        )
        if audience in (Audience.COMMUNE_STAFF, Audience.DISTRICT_STAFF):
            for user in staff[: 2 + n % 3]:
                Attendance.objects.create(course=course, user=user, role=AttendeeRole.STAFF)
        elif audience == Audience.VOLUNTEERS:
            for volunteer in volunteers[n % 2 :: 2]:
                Attendance.objects.create(
                    course=course, volunteer=volunteer, role=AttendeeRole.VOLUNTEER
                )
        else:
            role = (
                AttendeeRole.FAMILY_CAREGIVER
                if audience == Audience.FAMILY_CAREGIVERS
                else AttendeeRole.COUNSELLING_POINT
            )
            for k in range(3):
                Attendance.objects.create(
                    course=course,
                    name=f"Người tham dự {k + 1} (demo)",
                    role=role,
                    unit=units[unit],
                    organisation="Điểm tư vấn cộng đồng (demo)",
                )
    for n in range(24):
        commune = communes[local.randrange(len(communes) - 1)]  # one commune never reached
        male, female = local.randrange(10, 60), local.randrange(10, 60)
        young = local.randrange(0, (male + female) // 2)
        Activity.objects.create(
            kind=KINDS[n % len(KINDS)],
            held_on=_month(n // 2, 3 + n % 20),
            commune=commune,
            organiser=f"UBND {commune.name}",
            male=male,
            female=female,
            age_0_17=young,
            age_18_24=(male + female - young) // 3,
            age_25_34=(male + female - young) // 3,
            age_35_44=(male + female - young) - 2 * ((male + female - young) // 3),
            leaflets=local.randrange(0, 400),
            posters=local.randrange(0, 10),
            booklets=local.randrange(0, 50),
            notes="Buổi truyền thông tại nhà văn hóa thôn (demo)",
        )
    plans = {p.number: p for p in Plan.objects.filter(unit=units[PROVINCE])}
    _targets(plans, units[PROVINCE])
    plan = plans.get("30/KH-UBND")
    if plan is None or 2026 not in plan.years:
        return
    for kind, quantity in ((ActivityKind.SESSION, 15), (ActivityKind.FORUM, 5)):
        PlannedActivity.objects.create(
            plan=plan,
            unit=units[PROVINCE],
            kind=kind,
            quantity=quantity,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 6, 30),
            clause="II.1.1",
        )


# The programme targets of the two plans (reports' demo enters the plans and their client
# targets): plan, indicator, kind, comparison, value, section, breakdown and key.
TARGETS = [
    ("4960/KH-UBND", "TRAIN_STAFF_SHARE", TargetKind.SHARE, Comparison.MORE_THAN, "80",
     "II.2.a", ("", "")),
    ("30/KH-UBND", "ACT_COMMUNES_REACHED", TargetKind.SHARE, Comparison.MORE_THAN, "90",
     "II.1.1", ("", "")),
    ("30/KH-UBND", "ACT_MATERIALS", TargetKind.COUNT, Comparison.AT_LEAST, "20000",
     "II.1.1", ("material", "leaflets")),
]  # fmt: skip


def _targets(plans: dict[str, Plan], province: AdministrativeUnit) -> None:
    for number, code, kind, comparison, value, clause, (breakdown, key) in TARGETS:
        plan = plans.get(number)
        if plan is None:
            continue
        for year in plan.years:
            Target.objects.create(
                plan=plan,
                indicator=code,
                unit=province,
                year=year,
                kind=kind,
                comparison=comparison,
                value=value,
                clause=clause,
                breakdown=breakdown,
                key=key,
            )
