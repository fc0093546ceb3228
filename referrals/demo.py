"""Fictitious demo referrals in different states, so the queues, the start page's counts and
the figures show something on the demo province. Only called by ``seed_demo``."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case, Organisation
from services.models import ServiceType

from . import actions
from .models import ConsentMethod, Part, Referral

# The steps each demo referral takes after it is created, and by whom.
JOURNEYS: list[list[tuple[str, str]]] = [
    [],  # a draft
    [("submit", "minh")],  # waiting for review
    [("submit", "minh"), ("approve", "hoa"), ("send", "minh")],  # waiting for an answer
    [("submit", "minh"), ("approve", "hoa"), ("send", "minh"), ("accept", "lan")],
    [("submit", "minh"), ("approve", "hoa"), ("send", "minh"), ("accept", "lan"),
     ("complete", "lan")],
    [("submit", "minh"), ("return", "hoa")],
]  # fmt: skip
SERVICE_CODES = ("opioid_substitution", "medical", "counselling")


def _service() -> ServiceType:
    for code in SERVICE_CODES:
        found = ServiceType.objects.filter(code=code, is_active=True).first()
        if found is not None:
            return found
    return ServiceType.objects.filter(is_active=True).order_by("order").first()  # type: ignore[return-value]


def _step(referral: Referral, action: str, actor: User) -> Referral:
    outcome = "Đã điều trị ổn định (demo)" if action == "complete" else ""
    comment = "Cần bổ sung kết quả sàng lọc (demo)" if action == "return" else ""
    return actions.referral_act(
        actor=actor, referral_id=referral.pk, action=action, comment=comment, outcome=outcome
    )


def seed(rng: random.Random) -> None:
    """Refer a few of the commune's people to the methadone clinic, at different steps."""
    users = {u.username: u for u in User.objects.filter(username__in=["minh", "hoa", "lan"])}
    clinic = Organisation.objects.filter(name__contains="Núi Mẫu").first()
    if len(users) < 3 or clinic is None:
        return
    commune = users["minh"].staff.organisation
    service = _service()
    cases = Case.objects.filter(organisation=commune, status=CaseStatus.OPEN).order_by("pk")
    if service.applies_to:  # methadone is for people who use drugs, not for victims
        cases = cases.filter(category__in=service.applies_to)
    for journey, case in zip(JOURNEYS, cases, strict=False):
        _referral(rng, case, clinic, service, users, journey)


def _referral(
    rng: random.Random,
    case: Case,
    clinic: Organisation,
    service: ServiceType,
    users: dict[str, User],
    journey: list[tuple[str, str]],
) -> None:
    minh = users["minh"]
    given = timezone.localdate() - datetime.timedelta(days=rng.randrange(1, 30))
    consent: Any = actions.consent_record(
        actor=minh, case_id=case.pk, method=ConsentMethod.SIGNED, given_on=given
    )
    referral = actions.referral_create(
        actor=minh,
        case_id=case.pk,
        to_organisation=clinic,
        service_type=service,
        parts=[Part.IDENTITY, Part.TREATMENT],
        reason="Giới thiệu điều trị methadone (demo)",
        consent=consent,
    )
    for action, who in journey:
        referral = _step(referral, action, users[who])
    if journey and journey[-1][0] == "send":
        # Sent two weeks ago and not answered: the overdue row of the queues.
        sent = timezone.localdate() - datetime.timedelta(days=14)
        Referral.objects.filter(pk=referral.pk).update(
            sent_on=sent, answer_due_on=sent + datetime.timedelta(days=7)
        )
