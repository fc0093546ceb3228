"""access.deny: the one way every refusal is recorded (issue 24), and its callers."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World


def test_deny_records_one_event_with_ids_only_and_logs_it(
    world: World, lan_person: Person, caplog: pytest.LogCaptureFixture
) -> None:
    """ASVS 16.3.2: a refused access is logged, naming ids, never who the person is."""
    tuan = world.users["tuan"]
    case = lan_person.cases.get()
    caplog.set_level(logging.WARNING, logger="hoa_nhap.access")
    access.deny(tuan, "change_holder", obj=case, to="x")
    event = Event.objects.get(actor=tuan, action=CaseAction.DENIED)
    assert (event.object_type, event.object_id) == ("case", str(case.pk))
    assert event.person_id == lan_person.pk
    assert event.detail == {"perm": "change_holder", "to": "x"}
    [line] = [r.getMessage() for r in caplog.records if r.name == "hoa_nhap.access"]
    assert f"case={case.pk}" in line and f"user={tuan.pk}" in line and "perm=change_holder" in line
    assert "Bình" not in line and "010191000123" not in line


def test_deny_by_type_and_id(world: World) -> None:
    access.deny(world.users["lan"], "invitation_code", object_type="user", object_id=7)
    event = Event.objects.get(action=CaseAction.DENIED)
    assert (event.object_type, event.object_id, event.detail) == (
        "user",
        "7",
        {"perm": "invitation_code"},
    )


def test_a_caller_refusal_goes_through_deny(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """ASVS 8.2.1: a staff page refused to a caseworker is a denial event and a log line,
    written by access.deny (the log line is deny's own)."""
    from cases.staff import users_manage_require

    caplog.set_level(logging.WARNING, logger="hoa_nhap.access")
    with pytest.raises(PermissionDenied):
        users_manage_require(actor=world.users["lan"], what="view_staff")
    event = Event.objects.get(action=CaseAction.DENIED)
    assert event.detail == {"perm": "view_staff"} and event.object_type == "user"
    assert any("perm=view_staff" in r.getMessage() for r in caplog.records)
