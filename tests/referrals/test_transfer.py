"""A transfer ("Take over this case") changes the holder on acceptance; the former holder's
staff read the case for a while, and both sides see the hand-over."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Case, CaseUserObjectPermission
from referrals import actions
from referrals.models import AccessKind, Consent, ReferralAccess, State
from tests.conftest import World

from .support import make_referral


def _transfer(world: World, case: Case, consent: Consent) -> None:
    referral = make_referral(
        world, case, state=State.SENT, consent=consent, service="take_over_case"
    )
    actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")


def test_accepting_a_transfer_changes_the_holder(
    world: World, case: Case, consent: Consent
) -> None:
    _transfer(world, case, consent)
    case.refresh_from_db()
    assert case.organisation == world.orgs["clinic_b"]
    assert case.assigned_to == world.users["tuan"]
    event = Event.objects.get(action=CaseAction.CASE_CHANGED, object_id=str(case.pk))
    assert event.detail["holder"] == [
        str(world.orgs["clinic_a"].pk),
        str(world.orgs["clinic_b"].pk),
    ]
    assert "transfer" in event.detail
    # The new holder sees the whole case by its rule; the old holder's staff read it, whole.
    assert access.parts_visible(world.users["tuan"], case) is access.ALL
    for name in ("lan", "mai"):
        assert access.parts_visible(world.users[name], case) is access.ALL
        assert not access.visible_cases(world.users[name], "change").filter(pk=case.pk).exists()
    rows = ReferralAccess.objects.filter(kind=AccessKind.FORMER_HOLDER)
    assert {r.user.username for r in rows} == {"lan", "mai"}
    until = timezone.now() + datetime.timedelta(days=actions.transfer_read_days())
    assert all(abs((r.expires_at - until).total_seconds()) < 60 for r in rows)


def test_both_sides_see_the_hand_over_in_the_timeline(
    world: World, case: Case, consent: Consent
) -> None:
    _transfer(world, case, consent)
    for name in ("lan", "tuan"):
        html = world.client(name).get(reverse("cases:case_detail", args=[case.pk])).content
        assert "Tiếp nhận quản lý hồ sơ (chuyển giao)" in html.decode(), name


def test_the_former_holders_read_access_expires(world: World, case: Case, consent: Consent) -> None:
    """ASVS 8.2.2: after the read period the former holder is refused, and it is logged."""
    _transfer(world, case, consent)
    lan = world.users["lan"]
    assert access.get_case_for_user(lan, case.pk) == case
    past = timezone.now() - datetime.timedelta(seconds=1)
    CaseUserObjectPermission.objects.filter(user=lan).update(expires_at=past)
    ReferralAccess.objects.filter(user=lan).update(expires_at=past)
    with pytest.raises(Http404):
        access.get_case_for_user(lan, case.pk)
    assert Event.objects.filter(action=CaseAction.DENIED, actor=lan).count() == 1


def test_only_the_holder_can_offer_a_transfer_and_it_cannot_be_revoked_once_accepted(
    world: World, case: Case, consent: Consent
) -> None:
    from django.core.exceptions import ValidationError

    from services.models import ServiceType

    with pytest.raises(ValidationError):
        actions.referral_create(
            actor=world.users["minh"],
            case_id=case.pk,
            to_organisation=world.orgs["clinic_b"],
            service_type=ServiceType.objects.get(code="take_over_case"),
            parts=[],
            reason="Chuyển nơi cư trú",
        )
    referral = make_referral(
        world, case, state=State.SENT, consent=consent, service="take_over_case"
    )
    actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")
    with pytest.raises(ValidationError):
        actions.referral_act(
            actor=world.users["hoa"], referral_id=referral.pk, action="revoke", comment="Nhầm"
        )
    case.refresh_from_db()
    assert case.organisation == world.orgs["clinic_b"]


def test_the_holder_changes_only_by_the_transfer_action(world: World, case: Case) -> None:
    """ASVS 8.2.2: someone outside the new holder cannot call the transfer; it is logged."""
    from django.core.exceptions import PermissionDenied

    from cases.actions import case_transfer

    with pytest.raises(PermissionDenied):
        case_transfer(
            actor=world.users["lan"],
            case_id=case.pk,
            to_organisation=world.orgs["clinic_b"],
            referral_id="x",
        )
    case.refresh_from_db()
    assert case.organisation == world.orgs["clinic_a"]
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["lan"], detail__perm="change_holder"
    ).exists()
