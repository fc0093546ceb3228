"""A hand-made programme dataset in the test world (province 98; rows 981, 982 and 98001).

Staff with a case role: lan, mai (scope 981), tuan (982), minh (commune 98101, row 981).
Volunteers: v1 (98101), v4 (the province itself: totals only), v2 registered after the
period, v3 stopped before its end. Courses, activities and planned activities as written
below; the expected figures are worked out in ``test_indicators.py``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from programme.models import (
    Activity,
    Attendance,
    AttendeeRole,
    Audience,
    Course,
    PlannedActivity,
    Topic,
    Volunteer,
)
from reports.models import Plan
from tests.conftest import World

D = datetime.date


@dataclass
class Programme:
    courses: dict[str, Course]
    volunteers: dict[str, Volunteer]
    activities: dict[str, Activity]
    plan: Plan


def course(
    world: World,
    title: str,
    topic: str,
    ends: datetime.date,
    unit: str,
    audience: str,
    people: list[Any],
) -> Course:
    row = Course.objects.create(
        title=title,
        topic=Topic.objects.get(code=topic),
        audience=audience,
        organiser="Sở Xã hội",
        unit=world.units[unit],
        starts_on=ends - datetime.timedelta(days=1),
        ends_on=ends,
    )
    for who in people:
        if isinstance(who, User):
            Attendance.objects.create(course=row, user=who, role=AttendeeRole.STAFF)
        elif isinstance(who, Volunteer):
            Attendance.objects.create(course=row, volunteer=who, role=AttendeeRole.VOLUNTEER)
        else:
            Attendance.objects.create(course=row, name=who, role=AttendeeRole.FAMILY_CAREGIVER)
    return row  # fmt: skip


def activity(
    world: World, commune: str, on: datetime.date, kind: str = "session", **counts: int
) -> Activity:
    return Activity.objects.create(
        kind=kind, held_on=on, commune=world.units[commune], organiser="UBND xã", **counts
    )  # fmt: skip


def build(world: World) -> Programme:
    u = world.users
    User.objects.update(date_joined=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    units = world.units
    volunteers = {
        "v1": Volunteer.objects.create(name="Tình Nguyện Một", unit=units["c1"],
                                       registered_on=D(2025, 1, 1)),
        "v2": Volunteer.objects.create(name="Tình Nguyện Hai", unit=units["c3"],
                                       registered_on=D(2026, 7, 15)),
        "v3": Volunteer.objects.create(name="Tình Nguyện Ba", unit=units["c2"],
                                       registered_on=D(2025, 1, 1), left_on=D(2026, 3, 1)),
        "v4": Volunteer.objects.create(name="Tình Nguyện Bốn", unit=units["province"],
                                       registered_on=D(2025, 6, 1)),
    }  # fmt: skip
    v = volunteers
    courses = {
        # lan twice (K1, K2): trained once.
        "K1": course(world, "K1", "treatment", D(2026, 3, 10), "province",
                     Audience.COMMUNE_STAFF, [u["lan"], u["minh"], v["v1"], "Mẹ của A"]),
        "K2": course(world, "K2", "treatment", D(2026, 5, 10), "d1",
                     Audience.VOLUNTEERS, [u["lan"], v["v4"], v["v3"]]),
        # Ends 14 months before the period's end: outside a 12-month window, inside 24.
        "K3": course(world, "K3", "treatment", D(2025, 5, 1), "d2",
                     Audience.DISTRICT_STAFF, [u["tuan"]]),
        # A topic that is not listed: mai is not trained by it.
        "K4": course(world, "K4", "prevention", D(2026, 4, 1), "c3",
                     Audience.FAMILY_CAREGIVERS, [u["mai"]]),
        # After the period.
        "K5": course(world, "K5", "treatment", D(2026, 8, 1), "d2",
                     Audience.DISTRICT_STAFF, [u["tuan"]]),
    }  # fmt: skip
    activities = {
        "A1": activity(world, "c1", D(2026, 2, 1), male=10, female=5, age_0_17=5,
                       age_18_24=10, leaflets=100),
        # The same commune again: reached once.
        "A2": activity(world, "c1", D(2026, 3, 1), "forum", male=3, female=2, leaflets=50,
                       posters=2),
        "A3": activity(world, "c3", D(2026, 4, 1), female=8, age_25_34=8, booklets=20),
        "A4": activity(world, "c2", D(2025, 12, 31), male=100, leaflets=1000),  # before
        "A5": activity(world, "c4", D(2026, 7, 1), male=50),  # after
        "A6": activity(world, "c2", D(2026, 3, 15), male=1, female=1),
    }  # fmt: skip
    plan = Plan.objects.create(
        number="30/KH-UBND", issuer="UBND tỉnh", unit=units["province"],
        first_year=2025, last_year=2026,
    )  # fmt: skip
    lines = [
        ("province", "session", 5, D(2026, 1, 1), D(2026, 6, 30)),
        ("d1", "forum", 1, D(2026, 1, 1), D(2026, 6, 30)),
        ("d1", "session", 1, D(2026, 1, 1), D(2026, 3, 31)),  # two held: counts one
        ("d2", "session", 2, D(2026, 7, 1), D(2026, 9, 30)),  # ends after the period
    ]
    for unit, kind, quantity, first, last in lines:
        PlannedActivity.objects.create(
            plan=plan, unit=units[unit], kind=kind, quantity=quantity, starts_on=first,
            ends_on=last,
        )  # fmt: skip
    return Programme(courses, volunteers, activities, plan)
