"""The authorization matrix for the API with tokens: a machine client in each role that may
hold one (caseworker, commune officer, supervisor), on every API URL, in and out of scope,
with each URL's real method and a valid body, so a write's refusal is the access layer's.

A client acts through its service account, so each mirrors a named actor of the page matrix
(tests/test_authorization_matrix.py) with the same organisation and scope: the caseworker
client is clinic A's like mai (nothing assigned), the commune client is minh's committee,
the supervisor client the province's office like hoa. Refused objects answer 404 with
exactly one denial naming the client's account; refused verbs 403.

ASVS 8.2.1, 8.2.2 (function- and data-level access), 8.3.1 (server-side enforcement).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from api import actions
from cases.models import Case, Person
from services.models import TreatmentEpisode
from tests.api.support import call, make_client
from tests.conftest import World
from tests.documents.conftest import document_storage  # noqa: F401  (autouse there)
from tests.test_authorization_matrix import (  # the page matrix's objects and scopes
    API_RECORD_KINDS,
    API_RECORD_VERBS,
    SCOPE,
    Objects,
    Received,
    _accept_parts,
    _denials,
    _sets_for,
    _url,
    all_routes,
    objects,  # noqa: F401  (fixture)
    received,  # noqa: F401  (fixture)
)

# Machine client → (role, the named actor whose organisation and scope it has).
MACHINES = {
    "m-caseworker": ("caseworker", "mai"),
    "m-commune": ("commune_officer", "minh"),
    "m-supervisor": ("supervisor", "hoa"),
}
WRITERS = {"m-caseworker", "m-commune"}
FIGURES = {"m-commune", "m-supervisor"}


def _person_body(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "citizen_id": "",
        "sex": person.sex,
        "birth_year": person.birth_year,
        "residence_commune": person.residence_commune.code,
        "address": "Địa chỉ mới",
        "version": person.version,
    }


def _case_body(case: Case, **extra: Any) -> dict[str, Any]:
    return {
        "category": case.category,
        "status": case.status,
        "managed_record": case.managed_record,
        "opened_on": case.opened_on.isoformat(),
        "organisation_id": str(case.organisation_id),
        "assigned_to": case.assigned_to.username if case.assigned_to else None,
        "notes": "Ghi chú mới",
        "version": case.version,
    } | extra


def _expected(route: str, who: str, in_scope: bool) -> int:
    if route in ("api:openapi-json", "api:openapi-view", "api:changes"):
        return 200
    if route == "api:api-root":
        return 404
    if route == "api:person_search":
        return 200
    if route == "api:person_create":
        return 201 if who in WRITERS else 403
    if route == "api:figures":
        return 200 if who in FIGURES else 403
    if route in ("api:person_read", "api:case_read", "api:case_records"):
        return 200 if in_scope else 404
    if route == "api:exchange_person":  # the exchange document (docs/exchange.md, D60)
        return 200 if in_scope else 404
    if route in ("api:person_update", "api:case_update"):
        return 200 if in_scope and who in WRITERS else 404
    if route == "api:case_create":
        return 201 if in_scope and who in WRITERS else 404
    if route in ("api:screenings_read", "api:case_notes_read", "api:case_notes_update"):
        return 404  # named by an unknown id: the sets hold none (tests/api/test_records.py)
    # The record kinds (D58): an episode added and changed with a valid body; the other
    # kinds' add and change URLs answer a GET with the list and the read.
    if route == "api:treatment_episodes_create":
        return 201 if in_scope and who in WRITERS else 404
    if route == "api:treatment_episodes_update":
        return 200 if in_scope and who in WRITERS else 404
    if route == "api:screenings_create":  # answers scored by the page's form (D58)
        return 201 if in_scope and who in WRITERS else 404
    op, _sep, verb = route.removeprefix("api:").rpartition("_")
    if op in API_RECORD_KINDS and verb in API_RECORD_VERBS:
        return 200 if in_scope else 404
    raise AssertionError(f"no rule for {route}: add it to the API matrix")


def _send(route: str, url: str, token: str, object_id: Any, who: str, world: World) -> Any:
    if route == "api:person_search":
        return call("post", url, token, {"kind": "name", "query": "Trần Thị Bình"})
    if route == "api:person_create":
        body = {
            "full_name": f"Người Mới {who}",
            "sex": "M",
            "birth_year": 1990,
            "residence_commune": world.units["c1"].code,
            "different_from": [str(p) for p in Person.objects.values_list("pk", flat=True)],
        }
        return call("post", url, token, body)
    if route == "api:person_update":
        return call("put", url, token, _person_body(Person.objects.get(pk=object_id)))
    if route == "api:case_update":
        return call("put", url, token, _case_body(Case.objects.get(pk=object_id)))
    if route == "api:case_create":
        org = {"m-caseworker": "clinic_a", "m-commune": "commune_x"}.get(who, "social")
        body = {
            "category": "post_rehab",
            "opened_on": "2026-10-01",
            "organisation_id": str(world.orgs[org].pk),
            "confirm_second_case": True,
        }
        return call("post", url, token, body)
    if route in ("api:treatment_episodes_create", "api:treatment_episodes_update"):
        body = {
            "modality": "community_voluntary",
            "provider_id": str(world.orgs["clinic_a"].pk),
            "started_on": "2026-11-02",
        }
        if route.endswith("_update"):  # the set's facility episode, as it stands
            episode = TreatmentEpisode.objects.get(pk=object_id)
            body = {
                "modality": episode.modality,
                "provider_id": str(episode.provider_id),
                "started_on": episode.started_on.isoformat(),
                "version": episode.version,
            }
            return call("put", url, token, body)
        return call("post", url, token, body)
    if route == "api:screenings_create":
        from tests.api.test_screening_api import _assist

        return call("post", url, token, _assist())
    return call("get", url, token)


@pytest.mark.parametrize("who", list(MACHINES))
def test_machine_client_matrix(world: World, objects: Objects, who: str) -> None:  # noqa: F811
    """Every API URL × object set for a machine client of each role."""
    role, mirror = MACHINES[who]
    client, token = make_client(world, name=who, role=role, rate=1_000_000)
    wrong: list[str] = []
    routes = [r for r in all_routes() if r.name.startswith("api:")]
    assert len(routes) >= 12
    for route in routes:
        for chosen_set in _sets_for(route):
            url, _kind, object_id = _url(route, objects, chosen_set)
            expected = _expected(route.name, who, mirror in SCOPE[chosen_set])
            before = _denials(client.account_id, object_id) if object_id else 0
            response = _send(route.name, url, token, object_id, who, world)
            if response.status_code != expected:
                wrong.append(
                    f"{route.name} [{chosen_set}]: got {response.status_code}, expected "
                    f"{expected}: {response.content[:200]!r}"
                )
            if object_id is not None and expected == 404:
                left = _denials(client.account_id, object_id) - before
                if left != 1:
                    wrong.append(f"{route.name} [{chosen_set}]: {left} denials, expected 1")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ["auditor", "administrator"])
def test_a_client_never_holds_a_role_without_case_content(world: World, role: str) -> None:
    """An auditor's or administrator's rules would open nothing: refused at creation."""
    with pytest.raises(ValidationError):
        actions.api_client_create(
            actor=world.users["quan"],
            name="bo-role",
            organisation=world.orgs["social"],
            scope_unit=world.units["province"],
            role=role,
            days=30,
        )


def test_a_parts_limited_receiver_cannot_open_a_case_through_the_api(
    world: World,
    received: Received,  # noqa: F811
) -> None:
    """The page matrix's receiver (tuan, clinic B, shared parts of lan's case by a referral)
    posts a valid case through the API: 404 and a denial, nothing opened."""
    person = received.person
    _accept_parts(world, person, ("treatment", "identity"))
    opened = Case.objects.filter(person=person).count()
    body = {
        "category": "post_rehab",
        "opened_on": "2026-10-01",
        "organisation_id": str(world.orgs["clinic_b"].pk),
        "confirm_second_case": True,
    }
    response = world.client("tuan").post(
        f"/api/v1/people/{person.pk}/cases", body, content_type="application/json"
    )
    assert response.status_code == 404
    assert _denials(world.users["tuan"].pk, person.pk) == 1
    assert Case.objects.filter(person=person).count() == opened
    # Reading the person opens, without any identifier when identity is not shared.
    assert world.client("tuan").get(f"/api/v1/people/{person.pk}").json()["identity"]
