"""The start page's due list walks each type's index in due order and keeps only what the
viewer may see, however many invisible items come first."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from cases import dues
from cases.models import Case, Person
from services.models import ServiceRecord, ServiceType
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _plan(case: Case, who: Any, day: int) -> ServiceRecord:
    return ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="planned",
        due_on=datetime.date(2026, 11, day),
        responsible=who,
        recorded_by=who,
    )


def test_invisible_items_first_in_due_order_are_skipped_across_steps(
    world: World, lan_person: Person, tuan_person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ASVS 8.2.2: being named responsible on clinic B's case shows lan nothing of it."""
    monkeypatch.setattr(dues, "CANDIDATES", 2)  # three steps of two keys
    lan = world.users["lan"]
    hidden = Case.objects.get(person=tuan_person)
    for day in (1, 2, 3):
        _plan(hidden, lan, day)
    mine = [_plan(Case.objects.get(person=lan_person), lan, day) for day in (5, 4)]
    found = dues.due_for(viewer=lan, until=datetime.date(2026, 12, 1))
    assert [item.record.pk for item in found] == [mine[1].pk, mine[0].pk]


def test_the_limit_and_the_until_date_hold(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    case = Case.objects.get(person=lan_person)
    planned = [_plan(case, lan, day) for day in range(1, 8)]
    found = dues.due_for(viewer=lan, until=datetime.date(2026, 11, 6), limit=3)
    assert [item.record.pk for item in found] == [p.pk for p in planned[:3]]
    assert len(dues.due_for(viewer=lan, until=datetime.date(2026, 11, 6))) == 6
