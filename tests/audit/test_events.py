"""Each recorded action leaves exactly one access event with the right fields.

Reads and searches go through cases.access / cases.selectors, writes through cases.actions;
sign-in events are covered in tests/accounts/. No event, history row or log line holds a
plaintext name, citizen ID or phone number.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.events import AccountAction
from audit.models import Event
from cases.events import CaseAction
from cases.models import Case, Person
from tests.cases.test_case_views import _case_form
from tests.cases.test_person_views import _form
from tests.conftest import World

HEADERS = {"HTTP_USER_AGENT": "Kiểm thử/1.0", "HTTP_X_REQUEST_ID": "req-0123456789abcdef"}


def _only(action: str, **filters: Any) -> Event:
    events = Event.objects.filter(action=action, **filters)
    assert events.count() == 1, list(events.values("action", "object_type", "object_id"))
    return events.get()


def _get(client: Client, url: str) -> Any:
    return client.get(url, **HEADERS)  # type: ignore[arg-type]


def test_person_page_read_is_one_event(world: World, lan_person: Person) -> None:
    response = _get(world.client("lan"), reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 200
    event = _only(CaseAction.PERSON_READ)
    assert event.actor == world.users["lan"]
    assert event.organisation_id == world.orgs["clinic_a"].pk
    assert (event.object_type, event.object_id) == ("person", str(lan_person.pk))
    assert event.person_id == lan_person.pk
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "Kiểm thử/1.0"
    assert event.request_id == "req-0123456789abcdef"
    assert response["X-Request-ID"] == "req-0123456789abcdef"


def test_case_page_read_is_one_event(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    _get(world.client("minh"), reverse("cases:case_detail", args=[case.pk]))
    event = _only(CaseAction.CASE_READ)
    assert (event.actor, event.object_type, event.object_id) == (
        world.users["minh"],
        "case",
        str(case.pk),
    )
    assert event.person_id == lan_person.pk


def test_denial_is_one_event_and_survives_the_404(world: World, lan_person: Person) -> None:
    """ASVS 16.3.2: a refused access is logged even though the request fails."""
    response = _get(world.client("tuan"), reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 404
    event = _only(CaseAction.DENIED)
    assert (event.actor, event.object_type, event.object_id) == (
        world.users["tuan"],
        "person",
        str(lan_person.pk),
    )
    assert event.detail == {"perm": "view"}
    assert not Event.objects.filter(action=CaseAction.PERSON_READ).exists()


def test_register_and_change_a_person_are_one_event_each(world: World) -> None:
    client = world.client("lan")
    client.post(reverse("cases:person_create"), _form(world))
    person = _only(CaseAction.PERSON_CREATED).person_id
    assert person is not None
    client.post(reverse("cases:person_edit", args=[person]), _form(world, address="Bản Mới"))
    changed = _only(CaseAction.PERSON_CHANGED)
    assert changed.person_id == person
    assert changed.actor == world.users["lan"]


def test_open_and_change_a_case_are_one_event_each(world: World, lan_person: Person) -> None:
    client = world.client("lan")
    client.post(reverse("cases:case_create", args=[lan_person.pk]), _case_form(world))
    opened = _only(CaseAction.CASE_OPENED)
    assert opened.person_id == lan_person.pk
    case_id = opened.object_id
    client.post(reverse("cases:case_edit", args=[case_id]), _case_form(world, notes="Đã đổi"))
    assert _only(CaseAction.CASE_CHANGED).object_id == case_id


def test_a_refused_write_leaves_no_write_event(world: World, lan_person: Person) -> None:
    """An invalid form changes nothing and records no change."""
    client = world.client("lan")
    url = reverse("cases:person_edit", args=[lan_person.pk])
    response = client.post(url, _form(world, birth_year="1700"))
    assert response.status_code == 200
    assert not Event.objects.filter(action=CaseAction.PERSON_CHANGED).exists()


@pytest.mark.parametrize("kind", ["citizen_id", "phone", "name"])
def test_search_is_one_event_with_the_kind_only(
    world: World, lan_person: Person, kind: str
) -> None:
    query = {"citizen_id": "010191000123", "phone": "0987654321", "name": "Trần Thị Bình"}[kind]
    world.client("lan").post(reverse("cases:person_search"), {"kind": kind, "q": query})
    event = _only(CaseAction.SEARCH)
    assert event.detail == {"kind": kind, "found": 1, "people": [str(lan_person.pk)]}
    assert event.object_id == "" and event.person_id is None


def test_no_plaintext_in_events_history_or_logs(
    world: World, lan_person: Person, caplog: pytest.LogCaptureFixture
) -> None:
    """ASVS 16.2.5: identifiers never reach the audit log, history tables or log output."""
    caplog.set_level(logging.DEBUG)
    secrets = ["Trần Thị Bình", "010191000123", "0987654321", "Giàng Thị Mỷ", "0912000111"]
    lan, tuan = world.client("lan"), world.client("tuan")
    for kind, query in [("citizen_id", secrets[1]), ("phone", secrets[2]), ("name", secrets[0])]:
        lan.post(reverse("cases:person_search"), {"kind": kind, "q": query})
        tuan.post(reverse("cases:person_search"), {"kind": kind, "q": query})
    lan.get(reverse("cases:person_detail", args=[lan_person.pk]))
    tuan.get(reverse("cases:person_detail", args=[lan_person.pk]))
    lan.post(reverse("cases:person_create"), _form(world))
    tuan.post(
        reverse("cases:emergency_request"),
        {"citizen_id": secrets[1], "reason": "Cấp cứu tại trạm y tế, cần xem điều trị hiện tại"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_event")
        events = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM cases_historicalperson")
        history = repr(cursor.fetchall())
    assert Event.objects.count() > 8
    for secret in secrets:
        for text in (events, history, caplog.text):
            assert secret not in text
        assert secret.replace(" ", "") not in events


def test_logout_is_one_event(world: World) -> None:
    client = world.client("minh")
    response = client.post(reverse("logout"), **HEADERS)  # type: ignore[arg-type]
    assert response.status_code == 302
    event = _only(AccountAction.LOGOUT)
    assert event.actor == world.users["minh"]
    assert event.request_id == "req-0123456789abcdef"
    assert event.organisation_id == world.orgs["commune_x"].pk


def test_emergency_access_is_one_event_with_its_grant(world: World, lan_person: Person) -> None:
    world.client("tuan").post(
        reverse("cases:emergency_request"),
        {"citizen_id": "010191000123", "reason": "Cấp cứu tại trạm y tế, cần xem điều trị"},
        **HEADERS,  # type: ignore[arg-type]
    )
    event = _only(CaseAction.EMERGENCY_ACCESS)
    assert (event.actor, event.person_id) == (world.users["tuan"], lan_person.pk)
    assert event.reason == "Cấp cứu tại trạm y tế, cần xem điều trị"
    assert event.user_agent == "Kiểm thử/1.0"
    # The grants it made are part of this event, not separate permission-change events.
    assert not Event.objects.filter(action=CaseAction.ROLE_CHANGED, seq__gt=event.seq).exists()


def test_a_client_cannot_choose_its_request_id(
    world: World, lan_person: Person, settings: Any
) -> None:
    """Only a trusted proxy names requests; otherwise the id is made here."""
    settings.TRUST_REQUEST_ID = False
    response = _get(world.client("lan"), reverse("cases:person_detail", args=[lan_person.pk]))
    assert response["X-Request-ID"] != "req-0123456789abcdef"
    assert _only(CaseAction.PERSON_READ).request_id == response["X-Request-ID"]
