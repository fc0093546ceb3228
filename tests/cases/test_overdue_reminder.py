"""The daily reminder of overdue work (``notify_overdue``, docs/operations.md's timers)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import Event
from cases.models import Case, Person
from cases.overdue import OVERDUE_VERB
from notifications.models import Notification
from services.models import ServiceRecord, ServiceType
from tests.conftest import World

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


def _plan(case: Case, who: Any, day: int) -> ServiceRecord:
    return ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="planned",
        due_on=datetime.date(2026, 11, day),
        responsible=who,
        recorded_by=who,
    )


def _reminders(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, verb=OVERDUE_VERB))


def test_each_responsible_person_is_reminded_once_a_day_of_what_they_may_see(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """Two overdue items of lan's own case, one due today (not overdue) and three of a case
    she cannot see: the reminder counts two, names no one, and a second run adds nothing."""
    from cases.overdue import overdue_notify

    lan = world.users["lan"]
    mine = Case.objects.get(person=lan_person)
    _plan(mine, lan, 3)
    _plan(mine, lan, 19)
    _plan(mine, lan, 20)  # due today: not overdue
    hidden = Case.objects.get(person=tuan_person)
    for day in (1, 2, 4):
        _plan(hidden, lan, day)  # responsible, but out of her scope: never counted

    assert overdue_notify(today=TODAY) == 1
    [reminder] = _reminders(lan)
    assert reminder.text.startswith("2 ")  # "2 items of your work are overdue"
    assert lan_person.full_name not in reminder.text
    assert reminder.url == "/my-work/"
    event = Event.objects.filter(action="overdue_reminded").latest("pk")
    assert event.detail == {"day": "2026-11-20", "reminded": 1}

    assert overdue_notify(today=TODAY) == 0
    assert len(_reminders(lan)) == 1


def test_nobody_is_reminded_of_items_done_or_only_out_of_scope(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """ASVS 8.2.2: a responsibility on a case outside the scope gives no reminder (it would
    tell the person that the case exists and is behind)."""
    lan = world.users["lan"]
    done = _plan(Case.objects.get(person=lan_person), lan, 3)
    done.status = "delivered"
    done.delivered_on = datetime.date(2026, 11, 3)
    done.save()
    _plan(Case.objects.get(person=tuan_person), lan, 2)
    call_command("notify_overdue")
    assert _reminders(lan) == []
