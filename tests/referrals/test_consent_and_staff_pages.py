"""The pages that record a consent's withdrawal and add a colleague to a referral (issue 22,
item 15), per actor: the owner, the teammate and the outsider, for reads and writes.

Consent: lan (clinic A, holds the case) owns it, mai (clinic A) is the teammate, tuan (clinic B,
the receiver) is the outsider. Colleague: tuan accepted the referral, vy (clinic B) is the
teammate who did not, lan (the sender) is the outsider.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Case, Person
from referrals.events import ReferralAction
from referrals.models import AccessKind, Consent, Referral, ReferralAccess, State
from tests.conftest import World

from .test_who_acts import ACCEPTED, _act, _draft, _staff


@pytest.fixture
def case(lan_person: Person) -> Case:
    return Case.objects.get(person=lan_person)


@pytest.fixture
def accepted(world: World, case: Case) -> Referral:
    referral = _draft(world, "lan", case)
    for action, who in ACCEPTED:
        referral = _act(world, who, referral, action)
    return referral


def _withdraw_url(consent: Consent) -> str:
    return reverse("referrals:consent_withdraw", args=[consent.pk])


def _denied(world: World, who: str, object_id: object) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users[who], object_id=str(object_id)
    ).count()


# --- consent withdrawal -------------------------------------------------------------------


def test_the_person_page_and_the_referral_page_link_to_the_withdrawal(
    world: World, case: Case, accepted: Referral
) -> None:
    consent = accepted.consent
    assert consent is not None
    client = world.client("lan")
    person_page = client.get(reverse("cases:person_detail", args=[case.person_id])).content
    assert _withdraw_url(consent) in person_page.decode()
    referral_page = client.get(reverse("referrals:referral_detail", args=[accepted.pk]))
    assert _withdraw_url(consent) in referral_page.content.decode()
    # The receiver sees the referral, not a way to withdraw a consent of a case it cannot change.
    tuans = world.client("tuan").get(reverse("referrals:referral_detail", args=[accepted.pk]))
    assert _withdraw_url(consent) not in tuans.content.decode()


def test_the_owner_records_a_withdrawal_which_revokes_the_referral(
    world: World, accepted: Referral
) -> None:
    consent = accepted.consent
    assert consent is not None
    client = world.client("lan")
    page = client.get(_withdraw_url(consent))
    assert page.status_code == 200
    assert accepted.short_id in page.content.decode()  # what the withdrawal stops
    today = timezone.localdate().strftime("%d/%m/%Y")
    response = client.post(_withdraw_url(consent), {"withdrawn_on": today})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    assert Referral.objects.get(pk=accepted.pk).state == State.REVOKED
    assert Event.objects.filter(action=ReferralAction.CONSENT_WITHDRAWN).count() == 1
    assert not ReferralAccess.objects.filter(referral=accepted, ended_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("typed", "field_error"),
    [("30/02/2026", True), ("01/01/2026", True), ("", True), ("01/01/2099", True)],
)
def test_a_bad_date_is_refused_and_kept(
    world: World, accepted: Referral, typed: str, field_error: bool
) -> None:
    """Before the consent (given 20/01/2026), in the future, impossible or empty: refused."""
    consent = accepted.consent
    assert consent is not None
    response = world.client("lan").post(_withdraw_url(consent), {"withdrawn_on": typed})
    assert response.status_code == 200
    assert "withdrawn_on" in response.context["form"].errors
    assert f'value="{typed}"' in response.content.decode() or not typed
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert Referral.objects.get(pk=accepted.pk).state == State.ACCEPTED


def test_the_teammate_may_record_it_too(world: World, case: Case) -> None:
    consent = Consent.objects.create(
        case=case,
        recorded_by=world.users["lan"],
        method="verbal",
        given_on=datetime.date(2026, 1, 20),
    )
    client = world.client("mai")
    assert client.get(_withdraw_url(consent)).status_code == 200
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert client.post(_withdraw_url(consent), {"withdrawn_on": today}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_by == world.users["mai"]


def test_an_already_withdrawn_consent_says_so_and_is_not_withdrawn_again(
    world: World, case: Case
) -> None:
    consent = Consent.objects.create(
        case=case,
        recorded_by=world.users["lan"],
        method="signed",
        given_on=datetime.date(2026, 1, 20),
        withdrawn_on=datetime.date(2026, 2, 1),
    )
    client = world.client("lan")
    page = client.get(_withdraw_url(consent))
    assert page.status_code == 200 and 'data-testid="withdraw-form"' not in page.content.decode()
    response = client.post(_withdraw_url(consent), {"withdrawn_on": "02/02/2026"})
    assert response.status_code == 200 and response.context["form"].errors
    consent.refresh_from_db()
    assert consent.withdrawn_on == datetime.date(2026, 2, 1)


def test_the_outsider_cannot_open_or_post_the_withdrawal(world: World, accepted: Referral) -> None:
    """ASVS 8.2.2: tuan (the receiver, view only) guesses the address: 404, logged, unchanged."""
    consent = accepted.consent
    assert consent is not None
    client = world.client("tuan")
    assert client.get(_withdraw_url(consent)).status_code == 404
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert client.post(_withdraw_url(consent), {"withdrawn_on": today}).status_code == 404
    assert _denied(world, "tuan", consent.pk) == 2
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


# --- a colleague added to the referral -------------------------------------------------------


def _staff_url(referral: Referral) -> str:
    return reverse("referrals:referral_staff", args=[referral.pk])


def test_the_handler_adds_a_colleague_from_the_referral_page(
    world: World, accepted: Referral
) -> None:
    vy = _staff(world, "vy", "clinic_b", Role.CASEWORKER, "d2")
    client = world.client("tuan")
    detail = client.get(reverse("referrals:referral_detail", args=[accepted.pk]))
    assert _staff_url(accepted) in detail.content.decode()
    page = client.get(_staff_url(accepted))
    assert page.status_code == 200
    assert f'value="{vy.pk}"' in page.content.decode()
    assert f'value="{world.users["tuan"].pk}"' not in page.content.decode()  # already sees it
    response = client.post(_staff_url(accepted), {"user": str(vy.pk)})
    assert response.status_code == 302
    assert ReferralAccess.objects.filter(
        referral=accepted, user=vy, kind=AccessKind.RECEIVER, ended_at__isnull=True
    ).exists()
    assert Event.objects.filter(action=ReferralAction.STAFF_ADDED).count() == 1


def test_a_choice_outside_the_list_is_refused_and_the_page_kept(
    world: World, accepted: Referral
) -> None:
    response = world.client("tuan").post(_staff_url(accepted), {"user": str(world.users["lan"].pk)})
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not ReferralAccess.objects.filter(user=world.users["lan"]).exists()


def test_the_teammate_who_did_not_accept_cannot_add_anyone(
    world: World, accepted: Referral
) -> None:
    """ASVS 8.2.2: vy (clinic B) neither accepted nor was added: 404 and a denial."""
    vy = _staff(world, "vy", "clinic_b", Role.CASEWORKER, "d2")
    client = world.client("vy")
    detail = client.get(reverse("referrals:referral_detail", args=[accepted.pk]))
    assert _staff_url(accepted) not in detail.content.decode()
    assert client.get(_staff_url(accepted)).status_code == 404
    assert client.post(_staff_url(accepted), {"user": str(vy.pk)}).status_code == 404
    assert _denied(world, "vy", accepted.pk) == 2
    assert not ReferralAccess.objects.filter(user=vy).exists()


def test_the_sender_cannot_add_a_receiver(world: World, accepted: Referral) -> None:
    """ASVS 8.2.2: lan (the sender) tries to open the receiver's case to another of its
    staff: 404 and a denial, nothing given."""
    vy = _staff(world, "vy", "clinic_b", Role.CASEWORKER, "d2")
    client = world.client("lan")
    assert client.get(_staff_url(accepted)).status_code == 404
    assert client.post(_staff_url(accepted), {"user": str(vy.pk)}).status_code == 404
    assert _denied(world, "lan", accepted.pk) == 2
    assert not ReferralAccess.objects.filter(user=vy).exists()
