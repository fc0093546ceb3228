"""The OpenAPI schema: 3.1, committed, and every operation fuzzed from it.

Schemathesis generates requests for every operation from the schema the app serves and
sends them in-process through Django's WSGI handler, authenticated with an API client's
token; a 500, or a response outside the schema (status, body, content type), fails.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from api import schema as api_schema
from tests.api.support import make_client
from tests.conftest import World
from tests.factories import make_case, make_person

# Schema-valid input the rules refuse (an unknown commune, a citizen ID that does not fit the
# sex and year, a cursor given to another client) is a 422, not a failure of the API.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)
SCHEMA = schemathesis.openapi.from_dict(json.loads(api_schema.text()), config=CONFIG)
SCHEMA.app = WSGIHandler()
CASES: Counter[str] = Counter()
REAL: dict[str, str] = {}  # a person and a case the fuzzing client sees


def test_the_committed_schema_is_the_generated_one() -> None:
    """A change of the API shows in review: regenerate with `manage.py api_schema`."""
    assert api_schema.COMMITTED.read_text(encoding="utf-8") == api_schema.text()


def test_the_schema_is_openapi_3_1_and_served_with_its_page(client: Any) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"] == "3.1.0"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn." not in html


@pytest.fixture
def fuzz_token(world: World) -> Iterator[str]:
    client, token = make_client(world, name="bo-fuzz", rate=1_000_000)
    person = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    case = make_case(person=person, organisation=world.orgs["clinic_a"])
    REAL.update(person_id=str(person.pk), case_id=str(case.pk), **_records(world, case))
    # As Django's test client does: the WSGI handler would close the test's connection
    # (and its transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield token
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _records(world: World, case: Any) -> dict[str, str]:
    """A row of each writable record kind on the fuzzing client's case (D58), so the reads
    and changes behind the 404 of ``/<kind>/{id}`` are fuzzed too."""
    import datetime

    from appointments.models import Appointment
    from cases.models import ContactNote
    from services.methadone.models import Dose, DoseKind
    from services.models import ServiceRecord, ServiceType, TreatmentEpisode

    lan, day = world.users["lan"], datetime.date(2026, 11, 1)
    episode = TreatmentEpisode.objects.create(
        case=case, modality="methadone", provider=world.orgs["clinic_a"], started_on=day,
        recorded_by=lan,
    )  # fmt: skip
    service = ServiceRecord.objects.create(
        case=case, service_type=ServiceType.objects.get(code="counselling"), status="planned",
        due_on=day, recorded_by=lan,
    )  # fmt: skip
    dose = Dose.objects.create(episode=episode, given_on=day, kind=DoseKind.MISSED, recorded_by=lan)
    note = ContactNote.objects.create(case=case, contacted_on=day, text="Thăm nhà", author=lan)
    meeting = Appointment.objects.create(
        case=case, starts_on=day, place="Trạm y tế", staff=lan, created_by=lan
    )
    return {
        "episode_id": str(episode.pk),
        "record_id": str(service.pk),
        "dose_id": str(dose.pk),
        "note_id": str(note.pk),
        "appointment_id": str(meeting.pk),
    }


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_survives_fuzzing(case: Any, fuzz_token: str) -> None:
    """Each generated request, and where it names a person or case, the same request on a
    person and a case the client sees (so the reads and writes behind the 404 run too)."""
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    CASES[f"{case.method} {case.path}"] += 1
    case.call_and_validate(headers=headers)
    # Only a request that fits the schema: a negative one must stay refused as it was made.
    if case.path_parameters and case.meta.generation.mode == GenerationMode.POSITIVE:
        case.path_parameters = {
            name: REAL.get(name, value) for name, value in case.path_parameters.items()
        }
        CASES[f"{case.method} {case.path} (real)"] += 1
        case.call_and_validate(headers=headers)
