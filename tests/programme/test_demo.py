"""The demo province's year of training and communication (D48): built by seed_demo, with
the plans' programme targets, and its figures on the province's dashboard."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from cases.models import AdministrativeUnit
from programme.models import Activity, Attendance, Course, PlannedActivity, Volunteer
from reports import registry, tables
from reports.models import Target
from reports.registry import Period

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_year_of_courses_and_activities_and_their_targets() -> None:
    call_command("seed_demo", "--people", "10", stdout=io.StringIO())
    days = sorted(Activity.objects.values_list("held_on", flat=True))
    assert days[0] >= datetime.date(2025, 11, 1) and days[-1] <= datetime.date(2026, 10, 31)
    assert (days[-1] - days[0]).days > 300
    assert Course.objects.count() == 7 and Attendance.objects.count() > 10
    assert Volunteer.objects.count() == 6 and PlannedActivity.objects.count() == 2
    assert Target.objects.filter(indicator="TRAIN_STAFF_SHARE", value=80).exists()
    province = AdministrativeUnit.objects.get(code="99")
    period = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    for code in ("TRAIN_STAFF_SHARE", "ACT_COMMUNES_REACHED", "ACT_SESSIONS"):
        table = tables.build_table(registry.get(code), province, period, None)
        assert table.cells[(None, None)].numerator > 0, code
        assert table.target is not None or code == "ACT_SESSIONS"
