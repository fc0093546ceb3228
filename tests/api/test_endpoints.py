"""The API's operations go through the same access layer, actions and forms as the pages.

Each attack is tried and seen to fail and be logged: another commune's person by id (404 +
denial), a stale version (409, nothing saved), a forged session POST (CSRF), bad input (400
JSON, never a 500).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.events import ApiAction
from audit.models import Event
from cases.events import CaseAction
from cases.models import Case, Person
from tests.api.support import call, make_client
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = pytest.mark.django_db


def _person_body(world: World, **overrides: Any) -> dict[str, Any]:
    body = {
        "full_name": "Giàng Thị Mỷ",
        "aliases": "Mỷ",
        "citizen_id": "010198012345",
        "sex": "F",
        "birth_year": 1998,
        "birth_date": "1998-03-04",
        "ethnicity": "08",
        "phone": "0912000111",
        "residence_commune": world.units["c1"].code,
        "address": "Bản Thử",
        "family_contact": "Mẹ: 0900 111 222",
    }
    return body | overrides


def _denials(user_id: int, object_id: Any) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor_id=user_id, object_id=str(object_id)
    ).count()


def test_reading_a_person_in_scope_records_a_read_naming_them(
    world: World, lan_person: Person
) -> None:
    client, token = make_client(world)
    response = call("get", f"/api/v1/people/{lan_person.pk}", token)
    assert response.status_code == 200
    body = response.json()
    assert body["identity"]["full_name"] == "Trần Thị Bình"
    assert body["version"] == lan_person.version
    read = Event.objects.get(action=CaseAction.PERSON_READ)
    assert read.person_id == lan_person.pk and read.actor_id == client.account_id


def test_another_communes_person_by_id_is_404_and_a_denial(
    world: World, tuan_person: Person
) -> None:
    """ASVS 8.2.2: an id outside the client's scope answers as unknown, and is logged."""
    client, token = make_client(world)
    response = call("get", f"/api/v1/people/{tuan_person.pk}", token)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "Cường" not in response.content.decode()
    assert _denials(client.account_id, tuan_person.pk) == 1
    case = Case.objects.get(person=tuan_person)
    assert call("get", f"/api/v1/cases/{case.pk}", token).status_code == 404
    assert call("get", f"/api/v1/cases/{case.pk}/records", token).status_code == 404
    assert _denials(client.account_id, case.pk) == 2


def test_a_supervisor_client_sees_a_victim_masked_in_search(world: World) -> None:
    """Lists mask returned trafficking victims for supervisors, in the API as on the page."""
    victim = make_person(
        full_name="Nạn Nhân Thử",
        citizen_id="010190000999",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    make_case(person=victim, organisation=world.orgs["clinic_a"], category="trafficking_victim")
    _client, token = make_client(world, role="supervisor")
    response = call(
        "post", "/api/v1/people/search", token, {"kind": "citizen_id", "query": "010190000999"}
    )
    assert response.status_code == 200, response.content
    people = response.json()["people"]
    assert [p["id"] for p in people] == [str(victim.pk)]
    assert people[0]["identity"] is None
    search = Event.objects.get(action=CaseAction.SEARCH)
    assert search.detail["people"] == [str(victim.pk)]


def test_a_caseworker_client_registers_and_updates_a_person(world: World) -> None:
    _client, token = make_client(world)
    created = call("post", "/api/v1/people", token, _person_body(world))
    assert created.status_code == 201, created.content
    person = Person.objects.get()
    assert person.full_name == "Giàng Thị Mỷ" and person.registered_by == world.orgs["clinic_a"]
    assert Event.objects.filter(action=CaseAction.PERSON_CREATED).count() == 1
    body = _person_body(world, address="Bản Mới", version=created.json()["version"])
    updated = call("put", f"/api/v1/people/{person.pk}", token, body)
    assert updated.status_code == 200, updated.content
    person.refresh_from_db()
    assert person.address == "Bản Mới"
    assert updated.json()["version"] == person.version == created.json()["version"] + 1


def test_a_stale_version_is_409_with_the_current_version_and_saves_nothing(
    world: World, lan_person: Person
) -> None:
    """ASVS 2.3.x: a lost update is refused; the client learns the version to fetch."""
    _client, token = make_client(world)
    stale = lan_person.version
    fresh = _person_body(
        world, citizen_id="010191000123", sex="F", birth_year=1991, birth_date=None
    )
    first = call("put", f"/api/v1/people/{lan_person.pk}", token, fresh | {"version": stale})
    assert first.status_code == 200, first.content
    second = call(
        "put",
        f"/api/v1/people/{lan_person.pk}",
        token,
        fresh | {"address": "Ghi đè", "version": stale},
    )
    assert second.status_code == 409
    assert second.json()["code"] == "edit_conflict"
    assert second.json()["current_version"] == stale + 1
    lan_person.refresh_from_db()
    assert lan_person.address != "Ghi đè"


def test_a_duplicate_registration_is_409_naming_the_matches(
    world: World, lan_person: Person
) -> None:
    _client, token = make_client(world)
    body = _person_body(
        world, full_name="Trần Thị Bình", birth_year=1991, citizen_id="", birth_date=None
    )
    response = call("post", "/api/v1/people", token, body)
    assert response.status_code == 409
    assert response.json()["matches"] == [str(lan_person.pk)]
    confirmed = call(
        "post", "/api/v1/people", token, body | {"different_from": [str(lan_person.pk)]}
    )
    assert confirmed.status_code == 201


def test_a_supervisor_client_may_not_write(world: World, lan_person: Person) -> None:
    client, token = make_client(world, role="supervisor")
    response = call("post", "/api/v1/people", token, _person_body(world))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    body = _person_body(world) | {"version": lan_person.version}
    assert call("put", f"/api/v1/people/{lan_person.pk}", token, body).status_code == 404
    assert _denials(client.account_id, lan_person.pk) == 1
    assert Person.objects.count() == 1


def test_a_case_is_opened_read_and_changed_with_version_checks(
    world: World, lan_person: Person
) -> None:
    _client, token = make_client(world)
    body = {
        "category": "post_rehab",
        "opened_on": "2026-10-01",
        "organisation_id": str(world.orgs["clinic_a"].pk),
        "assigned_to": "lan",
        "notes": "Theo dõi",
    }
    opened = call("post", f"/api/v1/people/{lan_person.pk}/cases", token, body)
    assert opened.status_code == 201, opened.content
    case_id = opened.json()["id"]
    read = call("get", f"/api/v1/cases/{case_id}", token)
    assert read.status_code == 200 and read.json()["notes"] == "Theo dõi"
    assert call("get", f"/api/v1/cases/{case_id}/records", token).status_code == 200
    version = read.json()["version"]
    changed = call(
        "put", f"/api/v1/cases/{case_id}", token, body | {"notes": "Mới", "version": version}
    )
    assert changed.status_code == 200, changed.content
    stale = call(
        "put", f"/api/v1/cases/{case_id}", token, body | {"notes": "Cũ", "version": version}
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == version + 1
    assert Case.objects.get(pk=case_id).notes == "Mới"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"kind": "citizen_id"}, 400),
        ({"kind": "nothing", "query": "1"}, 400),
        ({"kind": "name", "query": "x" * 201}, 400),
        ({"kind": "name", "query": "A", "birth_year": "soon"}, 400),
        ([], 400),
        ("text", 400),
        # Well-formed, refused by the search form's rules.
        ({"kind": "citizen_id", "query": "abc"}, 422),
        ({"kind": "name", "query": "   "}, 422),
    ],
)
def test_bad_input_is_a_4xx_in_json(world: World, body: Any, status: int) -> None:
    """400: the request does not fit the schema; 422: it does, and the rules refuse it."""
    _client, token = make_client(world)
    response = call("post", "/api/v1/people/search", token, body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]["vi"] != response.json()["message"]["en"]


def test_a_signed_in_user_uses_the_api_with_the_second_factor_and_csrf(
    world: World, lan_person: Person
) -> None:
    """ASVS 3.5.1 / 6.3.3: a session works only past the second factor; an unsafe call
    without the CSRF token is refused."""
    lan = world.client("lan")
    assert lan.get(f"/api/v1/people/{lan_person.pk}").status_code == 200
    unverified = world.client("lan", second_factor=False)
    assert unverified.get(f"/api/v1/people/{lan_person.pk}").status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = lan.cookies
    search = {"kind": "citizen_id", "query": "010191000123"}
    refused = strict.post("/api/v1/people/search", search, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    assert Client().get(f"/api/v1/people/{lan_person.pk}").status_code == 401
    assert not Event.objects.filter(action=ApiAction.CALLED).exists()


def test_figures_are_suppressed_exactly_as_on_the_dashboard(world: World) -> None:
    _client, token = make_client(world, role="supervisor")
    response = call("get", "/api/v1/figures", token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit"] == "98" and body["exact"] is True and body["lines"]
    outside = call("get", "/api/v1/figures?unit=99", token)
    assert outside.status_code == 404
    caseworker_client, caseworker_token = make_client(world, name="bo-cw")
    assert call("get", "/api/v1/figures", caseworker_token).status_code == 403


@pytest.mark.parametrize(
    ("path", "method", "field", "value", "status"),
    [
        ("/api/v1/people", "post", "residence_commune", "98\x00101", 422),
        ("/api/v1/people", "post", "full_name", "Giàng \x00 Mỷ", 422),
        ("/api/v1/people/search", "post", "query", "010\x00191000123", 422),
        # Not Unicode at all: the JSON parser refuses it (400) before anything else.
        ("/api/v1/people", "post", "full_name", "Giàng \ud800 Mỷ", 400),
        ("/api/v1/people/search", "post", "query", "Bình\udc00", 400),
    ],
)
def test_nul_bytes_and_lone_surrogates_are_refused_not_a_500(
    world: World, path: str, method: str, field: str, value: str, status: int
) -> None:
    """Found by the fuzzer: a NUL byte in a commune code reached PostgreSQL (500). Text no
    database or cipher takes is refused as input, before any query."""
    _client, token = make_client(world)
    body: dict[str, Any] = (
        {"kind": "name", "query": "Bình"} if path.endswith("search") else _person_body(world)
    )
    body[field] = value
    client = Client(raise_request_exception=False)
    raw = json.dumps(body)  # \\ud800 stays escaped, as a client would send it
    response = getattr(client, method)(
        path, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == status, response.content[:300]
    assert response.json()["code"] == "invalid"
    if status == 422:
        assert field in response.json()["fields"]
