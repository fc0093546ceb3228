"""The referral actions: drafting, consent, sending rules, dates, steps and events."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from audit import selectors as audit_selectors
from audit.models import Event
from calendar_days.workdays import add_working_days
from cases.models import Case
from core.editing import EditConflict
from referrals import actions
from referrals.events import ReferralAction
from referrals.models import Consent, ConsentMethod, Part, Referral, State
from services.models import ServiceType
from tests.conftest import World

from .support import make_referral


def _draft(world: World, case: Case, **kwargs: object) -> Referral:
    values: dict[str, object] = {
        "actor": world.users["lan"],
        "case_id": case.pk,
        "to_organisation": world.orgs["clinic_b"],
        "service_type": ServiceType.objects.get(code="medical"),
        "parts": [Part.IDENTITY, Part.TREATMENT],
        "reason": "Cần điều trị thay thế",
    }
    values.update(kwargs)
    return actions.referral_create(**values)  # type: ignore[arg-type]


def _act(world: World, name: str, referral: Referral, action: str, **kw: str) -> Referral:
    return actions.referral_act(
        actor=world.users[name], referral_id=referral.pk, action=action, **kw
    )


def test_the_whole_journey_writes_a_step_and_an_event_per_transition(
    world: World, case: Case, consent: Consent
) -> None:
    referral = _draft(world, case, consent=consent)
    assert referral.state == State.DRAFT and referral.from_organisation == world.orgs["clinic_a"]
    _act(world, "lan", referral, "submit")
    _act(world, "hoa", referral, "return", comment="Thiếu lý do chi tiết")
    actions.referral_update(
        actor=world.users["lan"],
        referral_id=referral.pk,
        version=referral.version + 2,
        reason="Cần điều trị thay thế, đã sàng lọc",
    )
    _act(world, "lan", referral, "submit")
    _act(world, "hoa", referral, "approve")
    sent = _act(world, "lan", referral, "send")
    assert sent.sent_on == timezone.localdate()
    assert sent.answer_due_on == add_working_days(timezone.localdate(), 5)
    accepted = _act(world, "tuan", referral, "accept")
    assert accepted.answered_on == timezone.localdate()
    done = _act(world, "tuan", referral, "complete", outcome="Đã nhận điều trị methadone")
    assert done.state == State.COMPLETED and done.closed_on == timezone.localdate()
    assert done.outcome == "Đã nhận điều trị methadone"  # fed back to the sender
    steps = list(done.steps.values_list("action", "from_state", "to_state"))
    assert steps == [
        ("submit", "draft", "submitted"),
        ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"),
        ("approve", "submitted", "approved"),
        ("send", "approved", "sent"),
        ("accept", "sent", "accepted"),
        ("complete", "accepted", "completed"),
    ]
    assert done.steps.get(action="return").comment == "Thiếu lý do chi tiết"
    codes = list(
        Event.objects.filter(object_id=str(referral.pk), object_type="referral")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert codes == [
        ReferralAction.REFERRAL_CREATED,
        ReferralAction.REFERRAL_SUBMITTED,
        ReferralAction.REFERRAL_RETURNED,
        ReferralAction.REFERRAL_CHANGED,
        ReferralAction.REFERRAL_SUBMITTED,
        ReferralAction.REFERRAL_APPROVED,
        ReferralAction.REFERRAL_SENT,
        ReferralAction.REFERRAL_ACCEPTED,
        ReferralAction.REFERRAL_COMPLETED,
    ]
    events = Event.objects.filter(object_id=str(referral.pk))
    assert {e.person_id for e in events} == {case.person_id}
    assert done.history.count() == 9  # created, changed, and one per transition (7)


def test_answer_due_counts_the_service_types_working_days(
    world: World, case: Case, consent: Consent
) -> None:
    service = ServiceType.objects.get(code="legal_aid")
    service.answer_within_days = 12
    service.save()
    referral = make_referral(
        world, case, state=State.APPROVED, consent=consent, service="legal_aid"
    )
    sent = _act(world, "lan", referral, "send")
    assert sent.answer_due_on == add_working_days(timezone.localdate(), 12)


def test_return_decline_and_revoke_need_a_comment_and_complete_an_outcome(
    world: World, case: Case, consent: Consent
) -> None:
    for state, name, action in [
        (State.SUBMITTED, "hoa", "return"),
        (State.SENT, "tuan", "decline"),
        (State.SENT, "lan", "revoke"),
        (State.ACCEPTED, "tuan", "complete"),
    ]:
        referral = make_referral(world, case, state=state, consent=consent)
        with pytest.raises(ValidationError):
            _act(world, name, referral, action, comment="   ", outcome="  ")
        assert Referral.objects.get(pk=referral.pk).state == state


def test_a_referral_without_consent_cannot_be_sent(world: World, case: Case) -> None:
    """ASVS 1.8.2 (data protection: sharing needs a recorded consent)."""
    referral = make_referral(world, case, state=State.APPROVED)
    with translation.override("en"), pytest.raises(ValidationError, match="consent"):
        _act(world, "lan", referral, "send")
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.state == State.APPROVED and fresh.sent_on is None
    assert not Event.objects.filter(action=ReferralAction.REFERRAL_SENT).exists()


def test_a_withdrawn_consent_stops_sending(world: World, case: Case, consent: Consent) -> None:
    referral = make_referral(world, case, state=State.APPROVED, consent=consent)
    actions.consent_withdraw(
        actor=world.users["lan"], consent_id=consent.pk, on=timezone.localdate()
    )
    with pytest.raises(ValidationError):
        _act(world, "lan", referral, "send")
    assert Referral.objects.get(pk=referral.pk).state == State.APPROVED


def test_urgent_without_consent_goes_through_a_supervisor_and_is_flagged(
    world: World, case: Case
) -> None:
    with pytest.raises(ValidationError) as short:
        _draft(world, case, urgent=True, urgent_reason="gấp")
    assert "urgent_reason" in short.value.error_dict
    reason = "Người bệnh bất tỉnh, cần chuyển cấp cứu ngay, chưa thể ký đồng ý"
    referral = _draft(world, case, urgent=True, urgent_reason=reason)
    with pytest.raises(ValidationError):
        _act(world, "lan", referral, "send")  # not approved yet
    _act(world, "lan", referral, "submit")
    _act(world, "hoa", referral, "approve")
    sent = _act(world, "lan", referral, "send")
    assert sent.state == State.SENT
    flag = Event.objects.get(action=ReferralAction.SENT_WITHOUT_CONSENT)
    assert flag.object_id == str(referral.pk) and flag.actor == world.users["lan"]
    assert flag.person_id == case.person_id
    flagged = audit_selectors.unusual_activity(viewer=world.users["an"])
    assert any(f.username == "lan" and f.subject == str(referral.pk) for f in flagged)


def test_consent_is_recorded_with_the_guardians_name_encrypted(world: World, case: Case) -> None:
    with pytest.raises(ValidationError):
        actions.consent_record(
            actor=world.users["lan"],
            case_id=case.pk,
            method=ConsentMethod.GUARDIAN,
            given_on=datetime.date(2026, 2, 1),
        )
    consent = actions.consent_record(
        actor=world.users["lan"],
        case_id=case.pk,
        method=ConsentMethod.GUARDIAN,
        given_on=datetime.date(2026, 2, 1),
        given_by="Trần Văn Cha",
    )
    assert Consent.objects.get(pk=consent.pk).given_by == "Trần Văn Cha"
    raw = Consent.objects.filter(pk=consent.pk).values_list("given_by", flat=True).get()
    assert "Trần" not in str(raw)
    assert Event.objects.filter(action=ReferralAction.CONSENT_RECORDED).count() == 1
    with pytest.raises(ValidationError):
        actions.consent_record(
            actor=world.users["lan"],
            case_id=case.pk,
            method=ConsentMethod.SIGNED,
            given_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_an_outsider_cannot_record_consent(world: World, case: Case) -> None:
    """ASVS 8.2.2: consent on a case out of scope is refused and logged."""
    with pytest.raises(Http404):
        actions.consent_record(
            actor=world.users["tuan"],
            case_id=case.pk,
            method=ConsentMethod.SIGNED,
            given_on=datetime.date(2026, 2, 1),
        )
    assert not Consent.objects.exists()
    assert Event.objects.filter(action="denied", actor=world.users["tuan"]).count() == 1


def test_withdrawing_twice_or_before_it_was_given_is_refused(
    world: World, case: Case, consent: Consent
) -> None:
    with pytest.raises(ValidationError):
        actions.consent_withdraw(
            actor=world.users["lan"], consent_id=consent.pk, on=datetime.date(2025, 1, 1)
        )
    actions.consent_withdraw(
        actor=world.users["lan"], consent_id=consent.pk, on=timezone.localdate()
    )
    with pytest.raises(ValidationError):
        actions.consent_withdraw(
            actor=world.users["lan"], consent_id=consent.pk, on=timezone.localdate()
        )
    assert Event.objects.filter(action=ReferralAction.CONSENT_WITHDRAWN).count() == 1


def test_drafting_refuses_bad_choices_and_keeps_nothing(
    world: World, case: Case, consent: Consent
) -> None:
    other_case_consent = Consent(
        case=world.orgs["clinic_a"].cases.exclude(pk=case.pk).first() or case,
        recorded_by=world.users["lan"],
        method=ConsentMethod.SIGNED,
        given_on=datetime.date(2026, 1, 1),
        withdrawn_on=datetime.date(2026, 1, 2),
    )
    other_case_consent.save()
    bad: list[dict[str, object]] = [
        {"to_organisation": world.orgs["clinic_a"]},
        {"parts": ["identity", "bank_account"]},
        {"parts": "identity"},
        {"consent": other_case_consent},
        {
            "service_type": ServiceType.objects.get(code="take_over_case"),
            "actor": world.users["minh"],
        },
    ]
    for fields in bad:
        with pytest.raises(ValidationError):
            _draft(world, case, **fields)
    assert not Referral.objects.exists()


def test_only_the_sender_changes_a_draft_and_a_stale_version_is_refused(
    world: World, case: Case
) -> None:
    referral = _draft(world, case)
    with pytest.raises(EditConflict):
        actions.referral_update(
            actor=world.users["lan"],
            referral_id=referral.pk,
            version=referral.version - 1 or 99,
            reason="Khác",
        )
    with pytest.raises(Http404):
        actions.referral_update(
            actor=world.users["tuan"],
            referral_id=referral.pk,
            version=referral.version,
            reason="Khác",
        )
    with pytest.raises(ValidationError):
        actions.referral_update(
            actor=world.users["lan"],
            referral_id=referral.pk,
            version=referral.version,
            state=State.SENT,
        )
    changed = actions.referral_update(
        actor=world.users["mai"],
        referral_id=referral.pk,
        version=referral.version,
        parts=[Part.NOTES],
    )
    assert changed.parts == [Part.NOTES]
    sent = make_referral(world, case, state=State.SENT)
    with pytest.raises(ValidationError):
        actions.referral_update(
            actor=world.users["lan"], referral_id=sent.pk, version=sent.version, reason="x"
        )


# --- a referral and the consent it rests on: one action, one transaction (issue 24) ------


SIGNED_TODAY = {"method": ConsentMethod.SIGNED, "given_on": datetime.date(2026, 2, 1)}


def test_a_draft_with_a_new_consent_is_one_action(world: World, case: Case) -> None:
    referral = _draft(world, case, new_consent=SIGNED_TODAY)
    consent = Consent.objects.get(case=case)
    assert referral.consent_id == consent.pk
    assert Event.objects.filter(action=ReferralAction.CONSENT_RECORDED).count() == 1


def test_a_refused_draft_leaves_no_consent_behind(world: World, case: Case) -> None:
    """The consent typed with a referral is saved only with it: the action rolls both back."""
    with pytest.raises(ValidationError) as refused:
        _draft(world, case, new_consent=SIGNED_TODAY, to_organisation=world.orgs["clinic_a"])
    assert "to_organisation" in refused.value.error_dict
    assert not Consent.objects.exists()
    assert not Event.objects.filter(action=ReferralAction.CONSENT_RECORDED).exists()


def test_a_refused_change_leaves_no_consent_behind(world: World, case: Case) -> None:
    referral = _draft(world, case)
    with pytest.raises(EditConflict):
        actions.referral_update(
            actor=world.users["lan"],
            referral_id=referral.pk,
            version=referral.version + 1,
            new_consent=SIGNED_TODAY,
            reason="Cần điều trị thay thế, đã sàng lọc",
        )
    assert not Consent.objects.exists()
    changed = actions.referral_update(
        actor=world.users["lan"],
        referral_id=referral.pk,
        version=referral.version,
        new_consent=SIGNED_TODAY,
        reason="Cần điều trị thay thế, đã sàng lọc",
    )
    assert changed.consent == Consent.objects.get(case=case)
