"""A selector's one audit write, ``record_read``, records reads and refuses changes."""

from __future__ import annotations

import pytest

from accounts.events import AccountAction
from audit.models import Event
from audit.reads import NotARead, record_read
from cases.events import CaseAction
from tests.conftest import World


def test_a_read_is_recorded(world: World) -> None:
    event = record_read(actor=world.users["lan"], action=CaseAction.CASE_LIST, detail={"n": 1})
    assert Event.objects.get(pk=event.pk).action == CaseAction.CASE_LIST


def test_a_change_is_refused_and_nothing_is_written(world: World) -> None:
    before = Event.objects.count()
    with pytest.raises(NotARead):
        record_read(actor=world.users["lan"], action=AccountAction.PASSWORD_CHANGED)
    with pytest.raises(NotARead):
        record_read(actor=world.users["lan"], action=CaseAction.PERSON_CHANGED)
    assert Event.objects.count() == before
