"""A referral's grant and a grant of another origin on the same case do not clobber each other.

One guardian row holds a user's view grant on a case, whatever gave it: an emergency access,
a referral, an administrator. Giving keeps the later expiry and the emergency link; ending a
referral (or an emergency access) leaves what another origin still holds. Each test ends the
last origin and asserts the next read is refused and logged (ASVS 8.2.2, object-level
access; ASVS 8.3.1, access rules enforced at the trusted service layer).
"""

from __future__ import annotations

import pytest
from django.http import Http404

from audit.models import Event
from cases import access
from cases import actions as case_actions
from cases.events import CaseAction
from cases.models import Case, CaseUserObjectPermission, EmergencyAccess
from cases.roles import grant_give
from referrals import actions
from referrals.models import Consent, Part, Referral, ReferralAccess, State
from tests.conftest import World

from .support import make_referral

REASON = "Người bệnh nhập viện cấp cứu, cần xem liều methadone đang dùng"


def _accepted(world: World, case: Case, consent: Consent) -> Referral:
    referral = make_referral(world, case, state=State.SENT, consent=consent, parts=[Part.IDENTITY])
    return actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")


def _complete(world: World, referral: Referral) -> None:
    actions.referral_act(
        actor=world.users["tuan"],
        referral_id=referral.pk,
        action="complete",
        outcome="Đã điều trị xong",
    )


def _break_glass(world: World, case: Case) -> EmergencyAccess:
    return case_actions.emergency_access_grant(
        actor=world.users["tuan"], person=case.person, reason=REASON
    )


def _end_emergency(world: World, emergency: EmergencyAccess) -> None:
    case_actions.emergency_access_revoke(actor=world.users["hoa"], grant=emergency, note="Đủ rồi")


def _row(world: World, case: Case) -> CaseUserObjectPermission:
    rows = CaseUserObjectPermission.objects.filter(content_object=case)
    found: CaseUserObjectPermission = rows.get(user=world.users["tuan"])
    return found


def _referral_until(referral: Referral) -> object:
    return ReferralAccess.objects.get(referral=referral).expires_at


def _reads(world: World, case: Case) -> bool:
    return access.get_case_for_user(world.users["tuan"], case.pk) == case


def _assert_refused_and_logged(world: World, case: Case) -> None:
    tuan = world.users["tuan"]
    denied = Event.objects.filter(action=CaseAction.DENIED, actor=tuan, object_id=str(case.pk))
    before = denied.count()
    with pytest.raises(Http404):
        access.get_case_for_user(tuan, case.pk)
    assert denied.count() == before + 1


def test_emergency_then_referral_the_emergency_outlives_the_referral(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.2: the referral neither unlinks nor ends a running emergency access."""
    emergency = _break_glass(world, case)
    referral = _accepted(world, case, consent)
    row = _row(world, case)
    assert row.emergency_id == emergency.pk  # the link is kept
    assert row.expires_at == _referral_until(referral)  # the later expiry is kept

    _complete(world, referral)
    row = _row(world, case)
    assert row.emergency_id == emergency.pk
    assert row.expires_at == emergency.expires_at  # back to the emergency's own end
    assert _reads(world, case)  # the emergency access still runs

    _end_emergency(world, emergency)
    _assert_refused_and_logged(world, case)


def test_referral_then_emergency_the_emergency_outlives_the_referral(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.2: ending the referral leaves an emergency access given after it."""
    referral = _accepted(world, case, consent)
    emergency = _break_glass(world, case)
    row = _row(world, case)
    assert row.emergency_id == emergency.pk
    assert row.expires_at == _referral_until(referral)  # not shortened to the emergency's

    _complete(world, referral)
    assert _row(world, case).expires_at == emergency.expires_at
    assert _reads(world, case)

    _end_emergency(world, emergency)
    _assert_refused_and_logged(world, case)


def test_ending_an_emergency_leaves_the_referrals_access(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.2: a reviewer ending an emergency access does not end a live referral's."""
    referral = _accepted(world, case, consent)
    emergency = _break_glass(world, case)
    _end_emergency(world, emergency)
    assert _row(world, case).expires_at == _referral_until(referral)
    assert _reads(world, case)

    _complete(world, referral)
    _assert_refused_and_logged(world, case)
    assert Event.objects.filter(
        action=CaseAction.ROLE_CHANGED,
        detail__change="removed",
        detail__user=world.users["tuan"].pk,
    ).exists()


@pytest.mark.parametrize("order", ["grant_first", "referral_first"])
def test_an_administrators_grant_outlives_the_referral(
    world: World, case: Case, consent: Consent, order: str
) -> None:
    """ASVS 8.2.2: a referral neither shortens nor removes a grant given by an administrator."""
    tuan, quan = world.users["tuan"], world.users["quan"]
    if order == "grant_first":
        grant_give(actor=quan, user=tuan, obj=case)
        referral = _accepted(world, case, consent)
    else:
        referral = _accepted(world, case, consent)
        grant_give(actor=quan, user=tuan, obj=case)
    assert _row(world, case).expires_at is None  # no end: not shortened to the referral's

    _complete(world, referral)
    assert _row(world, case).expires_at is None
    assert _reads(world, case)
    assert Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, detail__change="kept", detail__user=tuan.pk
    ).exists()


def test_ending_the_longer_of_two_referrals_shortens_the_grant_to_the_other(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.2: the grant lasts as long as the longest live referral, then ends."""
    first = _accepted(world, case, consent)
    second = _accepted(world, case, consent)
    assert _row(world, case).expires_at == _referral_until(second)

    _complete(world, second)
    assert _row(world, case).expires_at == _referral_until(first)
    assert _reads(world, case)
    assert Event.objects.filter(action=CaseAction.ROLE_CHANGED, detail__change="shortened").exists()

    _complete(world, first)
    _assert_refused_and_logged(world, case)
