"""Keys, records and documents for the exchange tests (docs/exchange.md)."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cases.models import Case, Person
from exchange import selectors, signing
from referrals.models import Referral
from services.models import Screening, ServiceRecord, ServiceType, TreatmentEpisode
from tests.conftest import World

SOURCE = "tinh-98"


def key_pair() -> tuple[str, str]:
    """Return a fresh Ed25519 key pair as the settings hold it (private, public)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return tuple(  # type: ignore[return-value]
        base64.urlsafe_b64encode(raw).decode().rstrip("=") for raw in (private, public)
    )


def as_source(settings: Any, *, trusted: bool = True) -> str:
    """Make this test's instance the signing source ``tinh-98``, trusted by itself."""
    private, public = key_pair()
    settings.EXCHANGE_INSTANCE = SOURCE
    settings.EXCHANGE_SIGNING_KEY = private
    settings.EXCHANGE_TRUSTED = {SOURCE: public} if trusted else {}
    return public


def add_records(world: World, person: Person) -> Case:
    """Give the person's case a screening, an episode, a service and a referral."""
    case = Case.objects.get(person=person)
    lan = world.users["lan"]
    Screening.objects.create(
        case=case,
        instrument="assist",
        instrument_version="3.0",
        screened_on=datetime.date(2026, 10, 1),
        screener=lan,
        answers="{}",
        score=27,
        level="high",
        recorded_by=lan,
    )
    TreatmentEpisode.objects.create(
        case=case,
        modality="methadone",
        provider=world.orgs["clinic_a"],
        started_on=datetime.date(2026, 10, 2),
        recorded_by=lan,
    )
    ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="delivered",
        delivered_on=datetime.date(2026, 10, 3),
        note="Ghi chú riêng",
        recorded_by=lan,
    )
    Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Lý do riêng",
        recorded_by=lan,
        state="sent",
        sent_on=datetime.date(2026, 10, 4),
    )
    return case


def elsewhere(document: dict[str, Any], *, to_commune: str = "98201") -> dict[str, Any]:
    """Return the document as another instance would send it of another person (so it can
    be taken in beside the original in one test database), sent to ``to_commune``; signed
    again with this instance's key."""
    identity = {
        **document["person"]["identity"],
        "full_name": "Phạm Thị Dung",
        "citizen_id": "010191000999",
        "phone": "0912000111",
    }
    changed = {
        **document,
        "person": {**document["person"], "identity": identity},
        "transfer": {"to_commune": to_commune, "moved_on": "2026-11-20"},
    }
    return signing.sign(changed)


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def exported(world: World, person: Person, name: str = "lan") -> dict[str, Any]:
    return selectors.person_document(viewer=world.users[name], person_id=person.pk)
