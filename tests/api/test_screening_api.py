"""A screening added through the API (D58): the instrument's code and its answers, through
the screening page's own form and action, so the scores, levels and result are the
instrument's, never the client's.

ASVS 2.2.1 (input validated by the server's rules, naming the item), 2.3.1 (business logic
in order: the result is computed, not taken), 8.2.2 and 8.3.1 (data-level access through the
owning case, enforced on the server), 16.2.1 (each denial logged naming the client).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from audit.models import Event
from cases.choices import ClientCategory
from cases.events import CaseAction
from cases.models import Case, Person
from services.instruments import assist_v3_0
from services.instruments.substances import SUBSTANCES
from services.models import Screening, ScreeningScore
from tests.api.support import call, make_client
from tests.conftest import World
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseworker(world: World) -> tuple[Any, str]:
    """Clinic A's machine client (as mai: clinic A, district 1)."""
    return make_client(world, name="bo-screening", rate=1_000_000)


def _denials(user_id: int, object_id: Any) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor_id=user_id, object_id=str(object_id)
    ).count()


def _assist(**changed: str) -> dict[str, Any]:
    """Alcohol daily with every consequence (39: high); nothing else ever used."""
    answers = {f"{s.code}_q1": "no" for s in SUBSTANCES}
    answers |= {
        "alcohol_q1": "yes",
        "alcohol_q2": "daily",
        "alcohol_q3": "daily",
        "alcohol_q4": "daily",
        "alcohol_q5": "daily",
        "alcohol_q6": "yes_recent",
        "alcohol_q7": "yes_recent",
        "q8": "no_never",
    }
    answers |= changed
    return {"instrument": "assist", "screened_on": "2026-11-20", "answers": answers}


def _url(case: Case) -> str:
    return f"/api/v1/cases/{case.pk}/screenings"


def test_regression_an_assist_screening_is_added_and_scored_by_the_server(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """The client sends answers only; the score, level and per-substance scores are the
    instrument's (a result the client adds is ignored)."""
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    added = call("post", _url(case), token, _assist())
    assert added.status_code == 201, added.content
    screening = Screening.objects.get(case=case)
    assert added.json()["id"] == str(screening.pk)
    assert (screening.instrument, screening.instrument_version) == ("assist", "3.0-2")
    assert screening.level == assist_v3_0.HIGH and added.json()["level"] == assist_v3_0.HIGH
    assert screening.screener.username == "api-bo-screening"
    alcohol = ScreeningScore.objects.get(screening=screening, item="alcohol")
    assert (alcohol.score, alcohol.level) == (39, "high")
    assert json.loads(str(screening.answers))["alcohol_q2"] == "daily"
    assert Event.objects.get(action="service_record_added").person_id == lan_person.pk
    read = call("get", f"/api/v1/screenings/{screening.pk}", token)
    assert read.status_code == 200 and read.json()["level"] == assist_v3_0.HIGH
    # A result sent by the client is not part of the body: ignored, the server scores.
    forged = call("post", _url(case), token, _assist() | {"level": "low", "score": 0})
    assert forged.status_code == 201
    assert forged.json()["level"] == assist_v3_0.HIGH
    assert Screening.objects.get(pk=forged.json()["id"]).level == assist_v3_0.HIGH


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ({"alcohol_q3": ""}, "alcohol_q3"),  # missing (Q2 is not "never")
        ({"alcohol_q2": "every_hour"}, "alcohol_q2"),  # not one of the options
        ({"no_such_item": "yes"}, "no_such_item"),  # not an item of the instrument
        ({"other_specify": "ma túy đá \x00"}, "other_specify"),  # a NUL byte in text
    ],
)
def test_regression_a_wrong_or_missing_answer_is_a_422_naming_the_item(
    world: World,
    lan_person: Person,
    caseworker: tuple[Any, str],
    answers: dict[str, str],
    item: str,
) -> None:
    client, token = caseworker
    case = Case.objects.get(person=lan_person)
    body = _assist(**answers)
    body["answers"] = {k: v for k, v in body["answers"].items() if v}
    refused = call("post", _url(case), token, body)
    assert refused.status_code == 422, refused.content
    assert item in refused.json()["fields"]
    assert not Screening.objects.exists()


def test_regression_another_clinics_case_is_404_and_a_denial(
    world: World, tuan_person: Person, caseworker: tuple[Any, str]
) -> None:
    client, token = caseworker
    theirs = Case.objects.get(person=tuan_person)
    refused = call("post", _url(theirs), token, _assist())
    assert refused.status_code == 404
    assert _denials(client.account_id, theirs.pk) == 1
    assert not Screening.objects.exists()


def test_regression_an_instrument_not_offered_to_the_category_is_refused_and_logged(
    world: World, lan_person: Person, caseworker: tuple[Any, str]
) -> None:
    """The case page offers no ASSIST on a returned victim's case: nor does the API (403, a
    denial naming the case); the needs assessment it offers is taken."""
    client, token = caseworker
    case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category=ClientCategory.TRAFFICKING_VICTIM,
    )
    refused = call("post", _url(case), token, _assist())
    assert refused.status_code == 403
    assert _denials(client.account_id, case.pk) == 1
    denial = Event.objects.get(action=CaseAction.DENIED, object_id=str(case.pk))
    assert denial.detail.get("reason") == "not_offered"
    assert not Screening.objects.exists()
