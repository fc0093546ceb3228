"""Every transition of the table, tried by every role: allowed ones move, others are refused.

Parametrised from ``referrals.workflow.TRANSITIONS``, so a row added to the table is tested
here without a new test. A refusal leaves the referral, its version and its steps as they
were; a user who plays no part in the referral gets a 404 and a denial event (ASVS 8.2.2).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Case, StaffProfile
from cases.roles import staff_profile_save
from referrals import workflow
from referrals.actions import referral_act
from referrals.models import Consent, Referral, ReferralStep, State
from tests.conftest import World
from tests.factories import make_user

from .support import make_referral

# Who each named actor is for a referral from clinic A to clinic B, whatever its state.
PARTY = {
    "lan": workflow.SENDER,
    "mai": workflow.SENDER,
    "hoa": workflow.SUPERVISOR,
    "tuan": workflow.RECEIVER,
    "minh": None,
    "an": None,
    "quan": None,
    "hung": None,
}
# Once the referral reached clinic B: hoa (the province) and hung (district 982) also
# supervise the receiver; tuan, who accepted it, is its handler once accepted.
ONCE_RECEIVED = {"hoa": workflow.RECEIVER_SUPERVISOR, "hung": workflow.RECEIVER_SUPERVISOR}
SENT_ON = (*workflow.RECEIVED_STATES, State.REVOKED)

CASES = [
    (step.action, source.value, name)
    for step in workflow.TRANSITIONS
    for source in step.sources
    for name in PARTY
]


@pytest.fixture
def hung(world: World) -> None:
    """A supervisor of district 982 (clinic B's), who does not cover clinic A."""
    user = make_user("hung")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["clinic_b"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d2"],
        ),
    )
    world.users["hung"] = user


def _expected_parties(name: str, state: str) -> set[str]:
    found = {PARTY[name]} - {None}
    if workflow.RECEIVER in found and state not in workflow.RECEIVED_STATES:
        return set()  # the referral has not reached the receiver yet
    if state in SENT_ON and name in ONCE_RECEIVED:
        found.add(ONCE_RECEIVED[name])
    if name == "tuan" and state == State.ACCEPTED:
        found.add(workflow.HANDLER)
    return found  # type: ignore[return-value]


def _try(actor: User, referral: Referral, action: str) -> None:
    referral_act(actor=actor, referral_id=referral.pk, action=action, comment="x", outcome="y")


@pytest.mark.parametrize(("action", "state", "name"), CASES)
def test_transition_by_role(
    world: World, case: Case, consent: Consent, hung: None, action: str, state: str, name: str
) -> None:
    step = workflow.transition(action)
    assert step is not None
    referral = make_referral(world, case, state=state, consent=consent)
    if state == State.ACCEPTED:
        ReferralStep.objects.create(
            referral=referral,
            action="accept",
            from_state=State.SENT,
            to_state=state,
            actor=world.users["tuan"],
        )
    before = (referral.state, referral.version)
    actor = world.users[name]
    found = _expected_parties(name, state)
    if found & set(step.parties):
        moved = referral_act(
            actor=actor,
            referral_id=referral.pk,
            action=action,
            comment="Lý do rõ ràng",
            outcome="Đã điều trị",
        )
        assert moved.state == step.target
        assert Event.objects.filter(action=step.event, object_id=str(referral.pk)).count() == 1
        assert ReferralStep.objects.filter(referral=referral, action=action).count() == 1
        return
    denials = Event.objects.filter(action=CaseAction.DENIED, actor=actor)
    if not found:
        with pytest.raises(Http404):
            referral_act(
                actor=actor, referral_id=referral.pk, action=action, comment="x", outcome="y"
            )
        assert denials.filter(object_id=str(referral.pk), detail__perm=action).count() == 1
    else:
        with pytest.raises(ValidationError):
            referral_act(
                actor=actor, referral_id=referral.pk, action=action, comment="x", outcome="y"
            )
        # A party refused a step that is not theirs: logged (ASVS 8.2.2).
        logged = denials.filter(object_id=str(referral.pk), detail__perm=action).count()
        assert logged == (1 if state in step.sources else 0)
    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.state, referral.version) == before
    assert not ReferralStep.objects.filter(referral=referral).exclude(action="accept").exists()


@pytest.mark.parametrize("state", [s.value for s in State])
def test_steps_not_in_the_table_are_refused_in_every_state(
    world: World, case: Case, consent: Consent, state: str
) -> None:
    """Each state allows exactly the table's steps; the others answer a clear refusal."""
    referral = make_referral(world, case, state=state, consent=consent)
    allowed = {t.action for t in workflow.TRANSITIONS if state in t.sources}
    for step in workflow.TRANSITIONS:
        if step.action in allowed:
            continue
        for name in ("lan", "hoa"):
            with pytest.raises(ValidationError):
                referral_act(
                    actor=world.users[name],
                    referral_id=referral.pk,
                    action=step.action,
                    comment="Lý do",
                    outcome="Kết quả",
                )
    assert Referral.objects.get(pk=referral.pk).state == state


def test_allowed_actions_follow_the_table(world: World, case: Case, consent: Consent) -> None:
    referral = make_referral(world, case, state=State.SUBMITTED, consent=consent)
    assert [t.action for t in workflow.allowed_actions(world.users["hoa"], referral)] == [
        "approve",
        "return",
        "revoke",
    ]
    assert [t.action for t in workflow.allowed_actions(world.users["lan"], referral)] == ["revoke"]
    assert workflow.allowed_actions(world.users["tuan"], referral) == []
    assert workflow.allowed_actions(world.users["an"], referral) == []


def test_an_unknown_step_is_refused_with_a_message(world: World, case: Case) -> None:
    referral = make_referral(world, case)
    with pytest.raises(ValidationError):
        referral_act(actor=world.users["lan"], referral_id=referral.pk, action="teleport")
