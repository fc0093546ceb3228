"""Public holidays changed through the admin site are in the audit chain, like a loaded file.

A day off moves every due date of the referral and dues rules, so who changed which day is
recorded as a tamper-evident event in the same transaction as the change (ASVS 16.2.1).
"""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from audit.models import Event
from calendar_days.events import CalendarAction
from calendar_days.models import HolidayKind, PublicHoliday
from tests.conftest import World, signed_in_client

D = datetime.date
URL = "/admin/calendar_days/publicholiday/"


def _form(day: str, name: str) -> dict[str, str]:
    return {"day": day, "name_vi": name, "name_en": "Extra day off", "kind": HolidayKind.BRIDGING}


def _events(world: World) -> list[Event]:
    rows = Event.objects.filter(action=CalendarAction.HOLIDAY_CHANGED, actor=world.users["quan"])
    return list(rows.order_by("seq"))


def test_adding_changing_and_deleting_a_holiday_are_events(world: World) -> None:
    client: Client = signed_in_client(world.users["quan"])
    added = client.post(f"{URL}add/", _form("2026-12-24", "Nghỉ bù thử"))
    assert added.status_code == 302
    holiday = PublicHoliday.objects.get(day=D(2026, 12, 24))
    changed = client.post(f"{URL}{holiday.pk}/change/", _form("2026-12-25", "Nghỉ bù thử"))
    assert changed.status_code == 302
    deleted = client.post(f"{URL}{holiday.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not PublicHoliday.objects.filter(pk=holiday.pk).exists()

    events = _events(world)
    assert [e.detail["change"] for e in events] == ["added", "changed", "deleted"]
    assert {e.object_id for e in events} == {str(holiday.pk)}
    assert events[0].detail["day"] == "2026-12-24"
    assert events[1].detail["day"] == "2026-12-25" and events[1].detail["fields"] == ["day"]
    assert events[2].detail["day"] == "2026-12-25"


def test_deleting_holidays_from_the_list_records_each(world: World) -> None:
    days = list(PublicHoliday.objects.filter(day__year=2027).order_by("day")[:2])
    client = signed_in_client(world.users["quan"])
    response = client.post(
        URL, {"action": "delete_selected", "_selected_action": [d.pk for d in days], "post": "yes"}
    )
    assert response.status_code == 302
    assert not PublicHoliday.objects.filter(pk__in=[d.pk for d in days]).exists()
    recorded = {e.detail["day"] for e in _events(world) if e.detail["change"] == "deleted"}
    assert recorded == {d.day.isoformat() for d in days}


def test_a_refused_holiday_form_changes_nothing_and_records_nothing(world: World) -> None:
    client = signed_in_client(world.users["quan"])
    response = client.post(f"{URL}add/", _form("2026-13-40", ""))
    assert response.status_code == 200
    assert _events(world) == []


def test_the_auditor_reads_which_day_changed_and_how(world: World) -> None:
    """The audit list says added / changed / deleted and the day, not a stored code."""
    client: Client = signed_in_client(world.users["quan"])
    client.post(f"{URL}add/", _form("2026-12-24", "Nghỉ bù thử"))
    holiday = PublicHoliday.objects.get(day=D(2026, 12, 24))
    client.post(f"{URL}{holiday.pk}/delete/", {"post": "yes"})
    page = world.client("an").get("/audit/", {"action": CalendarAction.HOLIDAY_CHANGED}).text
    with translation.override("vi"):
        assert f"{gettext('added')} 2026-12-24" in page
        assert f"{gettext('deleted')} 2026-12-24" in page
    assert f"({HolidayKind.BRIDGING})" not in page
