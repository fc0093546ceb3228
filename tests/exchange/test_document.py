"""The exchange document: its committed schema, what it carries and to whom (docs/exchange.md)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404

from audit.models import Event as AccessEvent
from cases import access
from cases.models import Case, Person
from exchange import document, signing
from exchange.management.commands import exchange_schema
from referrals import actions as referral_actions
from referrals.models import Referral
from services.models import ServiceType
from tests.api.support import call, make_client
from tests.conftest import World
from tests.exchange.support import SOURCE, add_records, as_source, exported

pytestmark = pytest.mark.django_db


def test_the_committed_schema_is_the_generated_one() -> None:
    """A change of the format shows in review: regenerate with `manage.py exchange_schema`."""
    assert exchange_schema.COMMITTED.read_text(encoding="utf-8") == document.schema_text()
    call_command("exchange_schema", "--check")


def test_the_schema_check_fails_when_the_committed_file_is_stale(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    stale = tmp_path / "person-v1.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(exchange_schema, "COMMITTED", stale)
    with pytest.raises(CommandError, match="stale"):
        call_command("exchange_schema", "--check")


def test_the_document_carries_codes_identity_cases_and_records_but_no_free_text(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 4.2.6 (minimum data leaves the system): results and states travel; screening
    answers, service notes and a referral's reason do not; units by national code."""
    as_source(settings)
    add_records(world, lan_person)
    doc = exported(world, lan_person)
    assert doc["source"] == {"instance": SOURCE}
    assert doc["person"]["residence_commune"] == "98101"
    assert doc["person"]["identity"]["citizen_id"] == "010191000123"
    [case] = doc["cases"]
    assert case["organisation"] == {"name": "Methadone A", "unit": "981"}
    assert [s["level"] for s in case["screenings"]] == ["high"]
    assert [e["modality"] for e in case["episodes"]] == ["methadone"]
    assert [s["service_type"] for s in case["services"]] == ["counselling"]
    assert [r["state"] for r in case["referrals"]] == ["sent"]
    text = json.dumps(doc, ensure_ascii=False)
    for secret in ("Ghi chú riêng", "Lý do riêng", "answers"):
        assert secret not in text
    document.PersonDocument.model_validate(doc)  # fits its own schema
    assert signing.verify(doc) == ""


def test_reading_a_document_is_an_event_naming_the_person(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 16.2.1 (reads logged)."""
    as_source(settings)
    exported(world, lan_person)
    event = AccessEvent.objects.get(action="exchange_document_read")
    assert event.person_id == lan_person.pk


def test_an_outsider_gets_404_and_a_denial_through_the_api(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 8.2.2 (data-level access), 16.3.2 (refusals logged): clinic B's client asks
    for clinic A's patient's document."""
    as_source(settings)
    _client, token = make_client(world, "b-client", org="clinic_b", scope="d2")
    answer = call("get", f"/api/v1/exchange/people/{lan_person.pk}", token)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    assert AccessEvent.objects.filter(action="denied", object_id=str(lan_person.pk)).exists()
    assert not AccessEvent.objects.filter(action="exchange_document_read").exists()


def test_a_client_in_scope_pulls_a_document_that_verifies(
    world: World, lan_person: Person, settings: Any
) -> None:
    """The API serialises the document; the signature still covers exactly what it sent."""
    as_source(settings)
    add_records(world, lan_person)
    _client, token = make_client(world, "a-client")
    answer = call("get", f"/api/v1/exchange/people/{lan_person.pk}", token)
    assert answer.status_code == 200
    assert signing.verify(answer.json()) == ""
    assert AccessEvent.objects.filter(
        action="exchange_document_read", person_id=lan_person.pk
    ).exists()


def test_a_receiver_who_sees_only_shared_parts_is_refused(
    world: World, lan_person: Person, settings: Any
) -> None:
    """ASVS 8.2.3 (field-level access), 16.3.2: clinic B accepted a referral sharing only
    the treatment part; the whole-person document is a 404 and a denial for tuan."""
    as_source(settings)
    referral = Referral.objects.create(
        case=Case.objects.get(person=lan_person),
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Chuyển gửi thử",
        recorded_by=world.users["lan"],
        state="sent",
        sent_on=datetime.date(2026, 11, 1),
        parts=["treatment"],
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    assert access.visible_people(world.users["tuan"]).filter(pk=lan_person.pk).exists()
    with pytest.raises(Http404):
        exported(world, lan_person, "tuan")
    assert AccessEvent.objects.filter(
        action="denied", object_id=str(lan_person.pk), actor=world.users["tuan"]
    ).exists()
    assert not AccessEvent.objects.filter(action="exchange_document_read").exists()
