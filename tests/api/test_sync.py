"""Sync: changes since a cursor are exactly the people and cases changed after it that the
client may see, each once, in order; scope losses come as version 0 (docs/api.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from api.events import ApiAction
from audit.models import Event
from cases import actions as case_actions
from cases.models import Case, Person
from tests.api.support import call, make_client
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = pytest.mark.django_db


def _changes(token: str, cursor: str = "", limit: int = 100) -> dict[str, Any]:
    url = f"/api/v1/changes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = call("get", url, token)
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(c["type"], c["id"], c["version"]) for c in page["changes"]]


def test_changes_since_a_cursor_are_exactly_what_changed_that_the_client_sees(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    client, token = make_client(world)
    lan_case = Case.objects.get(person=lan_person)
    first = _changes(token)
    assert sorted(_ids(first)) == sorted(
        [
            ("person", str(lan_person.pk), lan_person.version),
            ("case", str(lan_case.pk), lan_case.version),
        ]
    )
    assert first["more"] is False
    listed = Event.objects.filter(action=ApiAction.CHANGES_LISTED).latest("seq")
    assert listed.detail["people"] == [str(lan_person.pk)]
    cursor = first["cursor"]
    assert _ids(_changes(token, cursor)) == []  # nothing changed since

    # After T: one visible person changes, one new person is registered at clinic A, and a
    # person of clinic B (not the client's) changes.
    Person.objects.filter(pk=lan_person.pk).update(version=F("version") + 1)
    Person.objects.filter(pk=tuan_person.pk).update(version=F("version") + 1)
    newcomer = make_person(
        residence_commune=world.units["c2"], registered_by=world.orgs["clinic_a"]
    )
    page = _changes(token, cursor)
    assert sorted(_ids(page)) == sorted(
        [("person", str(lan_person.pk), lan_person.version + 1), ("person", str(newcomer.pk), 1)]
    )
    data = {c["id"]: c for c in page["changes"]}
    assert data[str(newcomer.pk)]["person"]["identity"]["full_name"] == newcomer.full_name
    assert str(tuan_person.pk) not in data
    cursor = page["cursor"]

    # The newcomer leaves the client's scope (registered elsewhere now): gone, version 0.
    Person.objects.filter(pk=newcomer.pk).update(registered_by=world.orgs["clinic_b"])
    gone = _changes(token, cursor)
    assert _ids(gone) == [("person", str(newcomer.pk), 0)]
    assert gone["changes"][0]["person"] is None
    assert _ids(_changes(token, gone["cursor"])) == []


def test_pages_follow_in_order_and_a_lost_page_is_given_again(
    world: World, lan_person: Person
) -> None:
    _client, token = make_client(world)
    for _n in range(3):
        person = make_person(
            residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"]
        )
        make_case(person=person, organisation=world.orgs["clinic_a"])
    first = _changes(token, limit=3)
    assert len(first["changes"]) == 3 and first["more"] is True
    second = _changes(token, first["cursor"], limit=3)
    again = _changes(token, first["cursor"], limit=3)  # the answer to `second` was lost
    assert _ids(again) == _ids(second)
    seen: list[tuple[str, str, int]] = _ids(first) + _ids(second)
    cursor = second["cursor"]
    while True:
        page = _changes(token, cursor, limit=3)
        seen += _ids(page)
        cursor = page["cursor"]
        if not page["changes"]:
            break
    assert len(seen) == len(set(seen)) == 8  # 4 people and 4 cases, each once
    seqs = [c for c in seen]
    assert len(seqs) == 8


def test_a_cursor_not_given_to_the_client_is_refused(world: World, lan_person: Person) -> None:
    _client, token = make_client(world)
    other, other_token = make_client(world, name="bo-khac")
    theirs = _changes(other_token)["cursor"]
    assert call("get", f"/api/v1/changes?cursor={theirs}", token).json()["code"] == "bad_cursor"
    assert call("get", "/api/v1/changes?cursor=abc", token).status_code == 400
    assert call("get", "/api/v1/changes?cursor=999999", token).status_code == 422


def test_the_sync_is_for_api_clients_only(world: World) -> None:
    response = world.client("lan").get("/api/v1/changes")
    assert response.status_code == 403
    assert Event.objects.filter(action="denied", detail__perm="api_sync").count() == 1


def test_a_supervisor_client_gets_victims_masked(world: World) -> None:
    victim = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    make_case(person=victim, organisation=world.orgs["clinic_a"], category="trafficking_victim")
    _client, token = make_client(world, role="supervisor")
    people = [c for c in _changes(token)["changes"] if c["type"] == "person"]
    assert [p["id"] for p in people] == [str(victim.pk)]
    assert people[0]["person"]["identity"] is None
    assert case_actions  # the actions module is what the pages write through
