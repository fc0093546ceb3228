"""Builders for referral tests: a referral of lan's case from clinic A to clinic B in any state."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.models import Case, Person
from referrals.models import Consent, ConsentMethod, Part, Referral, State
from services.models import ServiceType
from tests.conftest import World

RECEIVED = (State.SENT, State.ACCEPTED, State.DECLINED, State.COMPLETED)


def case_of(person: Person) -> Case:
    return person.cases.get()


def make_consent(world: World, case: Case, **fields: Any) -> Consent:
    values: dict[str, Any] = {
        "case": case,
        "recorded_by": world.users["lan"],
        "method": ConsentMethod.SIGNED,
        "given_on": datetime.date(2026, 1, 20),
    }
    values.update(fields)
    consent = Consent(**values)
    consent.save()
    return consent


def make_referral(
    world: World,
    case: Case,
    *,
    state: str = State.DRAFT,
    to: str = "clinic_b",
    service: str = "medical",
    parts: list[str] | None = None,
    consent: Consent | None = None,
    **fields: Any,
) -> Referral:
    """Save a referral of ``case`` from clinic A straight into ``state`` (no steps)."""
    referral = Referral(
        case=case,
        recorded_by=world.users["lan"],
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs[to],
        service_type=ServiceType.objects.get(code=service),
        parts=parts if parts is not None else [Part.IDENTITY],
        consent=consent,
        state=state,
        reason="Cần điều trị methadone",
        **fields,
    )
    if state in RECEIVED or state == State.REVOKED:
        referral.sent_on = timezone.localdate()
    referral.save()
    return referral


def user(world: World, name: str) -> User:
    return world.users[name]
