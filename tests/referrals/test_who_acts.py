"""Who may act on a referral beyond the organisation it names (issue 22, items 8 and 16).

- four eyes: whoever drafted or submitted a referral never approves it, even when the same
  account also holds a supervisor's role;
- for the receiver, once it accepted: the caseworker who accepted and the colleagues added to
  the referral, or a supervisor over the receiver; not every caseworker of the organisation;
- a case another organisation holds is referred only with the holder's agreement (its staff
  agree to the submission) or the approving supervisor's written note (flagged).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.capabilities import forget_roles
from accounts.models import User
from audit.models import Event
from cases.choices import ClientCategory, Role
from cases.events import CaseAction
from cases.models import Case, Organisation, OrganisationType, Person, StaffProfile
from cases.roles import staff_profile_save
from referrals import actions, workflow
from referrals.events import ReferralAction
from referrals.models import Part, Referral, State
from services.models import ServiceType
from tests.conftest import World
from tests.factories import make_case, make_person, make_user

REASON = "Cần điều trị và tư vấn gần nơi ở"


def _staff(world: World, name: str, org: str, role: str, scope: str, **more: object) -> User:
    user = make_user(name)
    profile = StaffProfile(
        user=user, organisation=world.orgs[org], role=role, scope_unit=world.units[scope], **more
    )
    staff_profile_save(actor=None, profile=profile)
    world.users[name] = user
    return user


def _draft(world: World, who: str, case: Case, **kw: object) -> Referral:
    consent = actions.consent_record(
        actor=world.users[who],
        case_id=case.pk,
        method="signed",
        given_on=datetime.date(2026, 1, 20),
    )
    values: dict[str, object] = {
        "to_organisation": world.orgs["clinic_b"],
        "parts": [Part.TREATMENT],
        "service_type": ServiceType.objects.get(code="counselling"),
        "reason": REASON,
        "consent": consent,
    }
    values.update(kw)
    return actions.referral_create(actor=world.users[who], case_id=case.pk, **values)  # type: ignore[arg-type]


def _act(world: World, who: str, referral: Referral, action: str, **kw: str) -> Referral:
    return actions.referral_act(
        actor=world.users[who], referral_id=referral.pk, action=action, **kw
    )


def _denials(user: User, referral: Referral, perm: str) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor=user, object_id=str(referral.pk), detail__perm=perm
    ).count()


# --- item 8: the drafter or submitter never approves ------------------------------------


def test_an_account_with_a_supervisors_role_never_approves_its_own_referral(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.1/8.1.4 (separation of duties): lan, caseworker and supervisor of district
    981, drafts and submits a referral, then tries to approve it: refused and logged; another
    supervisor approves it."""
    lan = world.users["lan"]
    profile = lan.staff
    profile.second_role, profile.allow_second_role = Role.SUPERVISOR, True
    staff_profile_save(actor=None, profile=profile)
    forget_roles(lan)
    case = Case.objects.get(person=lan_person)
    referral = _act(world, "lan", _draft(world, "lan", case), "submit")
    assert workflow.SUPERVISOR in workflow.parties(lan, referral)
    assert "approve" not in [t.action for t in workflow.allowed_actions(lan, referral)]
    with pytest.raises(ValidationError):
        _act(world, "lan", referral, "approve")
    assert Referral.objects.get(pk=referral.pk).state == State.SUBMITTED
    assert _denials(lan, referral, "approve") == 1
    assert _act(world, "hoa", referral, "approve").state == State.APPROVED


def test_whoever_submitted_a_colleagues_draft_does_not_approve_it(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.1: mai drafts, lan (also a supervisor) submits it: lan cannot approve it."""
    lan = world.users["lan"]
    profile = lan.staff
    profile.second_role, profile.allow_second_role = Role.SUPERVISOR, True
    staff_profile_save(actor=None, profile=profile)
    forget_roles(lan)
    case = Case.objects.get(person=lan_person)
    referral = _act(world, "lan", _draft(world, "mai", case), "submit")
    with pytest.raises(ValidationError):
        _act(world, "lan", referral, "approve")
    assert _denials(lan, referral, "approve") == 1


def test_the_four_eyes_rule_is_a_pure_function() -> None:
    assert workflow.independent_approver(3, authors={1, 2})
    assert not workflow.independent_approver(2, authors={1, 2})
    assert workflow.agreed_since_submission(["submit", "agree"])
    assert not workflow.agreed_since_submission(["submit", "agree", "return", "submit"])
    assert not workflow.agreed_since_submission([])
    assert workflow.holder_rule_met(held_elsewhere=False, holder_agreed=False, note="")
    assert workflow.holder_rule_met(held_elsewhere=True, holder_agreed=True, note="")
    assert workflow.holder_rule_met(held_elsewhere=True, holder_agreed=False, note="Vì sao")
    assert not workflow.holder_rule_met(held_elsewhere=True, holder_agreed=False, note="  ")


# --- item 16: who acts for the receiver -------------------------------------------------


ACCEPTED = (("submit", "lan"), ("approve", "hoa"), ("send", "lan"), ("accept", "tuan"))


def _accepted(world: World, case: Case) -> Referral:
    referral = _draft(world, "lan", case)
    for action, who in ACCEPTED:
        referral = _act(world, who, referral, action)
    return referral


def test_a_colleague_of_the_receiver_cannot_complete_what_another_accepted(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: vy, a caseworker of clinic B who neither accepted the referral nor was
    added to it, tries to complete it: refused, logged, nothing changes."""
    vy = _staff(world, "vy", "clinic_b", Role.CASEWORKER, "d2")
    referral = _accepted(world, Case.objects.get(person=lan_person))
    assert workflow.allowed_actions(vy, referral) == []
    with pytest.raises(ValidationError):
        _act(world, "vy", referral, "complete", outcome="Đã xong")
    assert Referral.objects.get(pk=referral.pk).state == State.ACCEPTED
    assert _denials(vy, referral, "complete") == 1
    with pytest.raises(ValidationError):
        actions.referral_staff_add(actor=vy, referral_id=referral.pk, user=vy)
    assert _denials(vy, referral, "share") == 1


def test_the_accepting_caseworker_adds_a_colleague_who_then_completes(
    world: World, lan_person: Person
) -> None:
    vy = _staff(world, "vy", "clinic_b", Role.CASEWORKER, "d2")
    referral = _accepted(world, Case.objects.get(person=lan_person))
    actions.referral_staff_add(actor=world.users["tuan"], referral_id=referral.pk, user=vy)
    done = _act(world, "vy", Referral.objects.get(pk=referral.pk), "complete", outcome="Đã xong")
    assert done.state == State.COMPLETED


def test_a_supervisor_over_the_receiver_completes_when_the_handler_is_gone(
    world: World, lan_person: Person
) -> None:
    hung = _staff(world, "hung", "clinic_b", Role.SUPERVISOR, "d2")
    referral = _accepted(world, Case.objects.get(person=lan_person))
    assert workflow.RECEIVER_SUPERVISOR in workflow.parties(hung, referral)
    assert workflow.SUPERVISOR not in workflow.parties(hung, referral)
    assert _act(world, "hung", referral, "complete", outcome="Đã xong").state == State.COMPLETED


def test_a_district_supervisor_of_another_office_oversees_the_receiver(
    world: World, lan_person: Person
) -> None:
    """khanh supervises district 982 from its social affairs office (not clinic B, and the
    case is not in his scope): he opens the referral clinic B accepted and completes it."""
    world.orgs["office_d2"] = Organisation.objects.create(
        name="Phòng Xã hội Huyện Hai",
        unit=world.units["d2"],
        type=OrganisationType.objects.get(code="social-affairs-office"),
    )
    khanh = _staff(world, "khanh", "office_d2", Role.SUPERVISOR, "d2")
    referral = _accepted(world, Case.objects.get(person=lan_person))
    page = world.client("khanh").get(reverse("referrals:referral_detail", args=[referral.pk]))
    assert page.status_code == 200
    assert 'data-testid="action-complete"' in page.content.decode()
    assert _act(world, "khanh", referral, "complete", outcome="Đã xong").state == State.COMPLETED
    assert khanh.pk not in workflow.handlers(referral)


# --- item 16: a case held by another organisation ----------------------------------------


@pytest.fixture
def shelter_case(world: World) -> Case:
    """A victim of commune 98101 whose case a shelter (Nhà Nhân ái) of district 981 holds."""
    shelter = Organisation.objects.create(
        name="Nhà Nhân ái Một",
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["d1"],
    )
    world.orgs["shelter"] = shelter
    world.orgs["police"] = Organisation.objects.create(
        name="Công an xã Một Một",
        type=OrganisationType.objects.get(code="police"),
        unit=world.units["c1"],
    )
    _staff(world, "thu", "shelter", Role.CASEWORKER, "d1")
    person = make_person(
        full_name="Lò Thị Hoa", residence_commune=world.units["c1"], registered_by=shelter
    )
    return make_case(
        person=person,
        organisation=shelter,
        category=ClientCategory.TRAFFICKING_VICTIM,
        assigned_to=world.users["thu"],
    )


def _commune_to_police(world: World, case: Case) -> Referral:
    every = [p.value for p in Part]
    referral = _draft(world, "minh", case, to_organisation=world.orgs["police"], parts=every)
    return _act(world, "minh", referral, "submit")


def test_a_case_held_elsewhere_is_not_approved_without_the_holder_or_a_note(
    world: World, shelter_case: Case
) -> None:
    """ASVS 8.2.2 / 1.2 (minimum necessary): the commune officer refers the shelter's victim
    with every part to the commune police; the supervisor's plain approval is refused."""
    referral = _commune_to_police(world, shelter_case)
    assert workflow.held_elsewhere(referral)
    with pytest.raises(ValidationError) as refused:
        _act(world, "hoa", referral, "approve")
    assert "comment" in refused.value.error_dict
    assert Referral.objects.get(pk=referral.pk).state == State.SUBMITTED
    assert not Event.objects.filter(action=ReferralAction.REFERRAL_APPROVED).exists()


def test_the_supervisors_note_approves_it_and_is_flagged(world: World, shelter_case: Case) -> None:
    referral = _commune_to_police(world, shelter_case)
    note = "Nạn nhân có nguy cơ bị đe dọa, cần công an bảo vệ ngay"
    assert _act(world, "hoa", referral, "approve", comment=note).state == State.APPROVED
    flagged = Event.objects.get(action=ReferralAction.APPROVED_WITHOUT_HOLDER)
    assert flagged.object_id == str(referral.pk)
    approved = Event.objects.get(action=ReferralAction.REFERRAL_APPROVED)
    assert approved.detail["holder_agreed"] is False


def test_the_holders_agreement_lets_the_supervisor_approve(
    world: World, shelter_case: Case
) -> None:
    referral = _commune_to_police(world, shelter_case)
    thu = world.users["thu"]
    assert [t.action for t in workflow.allowed_actions(thu, referral)] == ["agree"]
    # minh (the sender) cannot agree for the holder; that refusal is logged.
    with pytest.raises(ValidationError):
        _act(world, "minh", referral, "agree")
    assert _denials(world.users["minh"], referral, "agree") == 1
    agreed = _act(world, "thu", referral, "agree")
    assert agreed.state == State.SUBMITTED
    assert Event.objects.filter(action=ReferralAction.REFERRAL_HOLDER_AGREED).count() == 1
    with pytest.raises(ValidationError):
        _act(world, "thu", referral, "agree")  # once per submission
    assert _act(world, "hoa", referral, "approve").state == State.APPROVED
    assert not Event.objects.filter(action=ReferralAction.APPROVED_WITHOUT_HOLDER).exists()


def test_an_agreement_does_not_survive_a_return_and_a_new_submission(
    world: World, shelter_case: Case
) -> None:
    referral = _commune_to_police(world, shelter_case)
    _act(world, "thu", referral, "agree")
    _act(world, "hoa", referral, "return", comment="Chỉ chia sẻ phần cần thiết")
    _act(world, "minh", referral, "submit")
    with pytest.raises(ValidationError):
        _act(world, "hoa", referral, "approve")


def test_the_holders_own_referral_needs_no_agreement(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    referral = _act(world, "lan", _draft(world, "lan", case), "submit")
    assert not workflow.held_elsewhere(referral)
    assert _act(world, "hoa", referral, "approve").state == State.APPROVED
