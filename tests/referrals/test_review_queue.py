"""The review queue holds exactly the referrals the supervisor may approve (the workflow's rule).

A supervisor of district 981 (``hai``) sees a case of a resident of their district held by a
clinic of district 982, and does not see a case of district 982 that a clinic of their district
refers. The workflow makes them supervisor of the second referral only; the queue, its count
on the start page and the referral page must agree (ASVS 8.2.2, object-level access).
"""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from cases import access
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Case, Person, StaffProfile
from cases.roles import staff_profile_save
from referrals import actions, selectors, workflow
from referrals.models import Part, Referral, State
from services.models import ServiceType
from tests.conftest import World, signed_in_client
from tests.factories import make_case, make_person, make_user


@pytest.fixture
def hai(world: World) -> User:
    """A supervisor whose area is district 981 (clinic A's district)."""
    user = make_user("hai")
    profile = StaffProfile(
        user=user,
        organisation=world.orgs["clinic_a"],
        role=Role.SUPERVISOR,
        scope_unit=world.units["d1"],
    )
    staff_profile_save(actor=None, profile=profile)
    return user


def _submitted(world: World, case: Case, sender: str) -> Referral:
    referral = Referral(
        case=case,
        recorded_by=world.users["lan"],
        from_organisation=world.orgs[sender],
        to_organisation=world.orgs["social"],
        service_type=ServiceType.objects.get(code="medical"),
        parts=[Part.IDENTITY],
        state=State.SUBMITTED,
        reason="Cần hỗ trợ y tế",
        urgent=True,
        urgent_reason="Cần hỗ trợ gấp vì sức khỏe yếu",
    )
    referral.save()
    return referral


@pytest.fixture
def outside_sender(world: World) -> Referral:
    """A resident of district 981, held and referred by clinic B (district 982)."""
    person = make_person(
        full_name="Phạm Văn Dũng",
        sex="M",
        birth_year=1990,
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_b"],
    )
    return _submitted(
        world, make_case(person=person, organisation=world.orgs["clinic_b"]), "clinic_b"
    )


@pytest.fixture
def inside_sender(world: World, tuan_person: Person) -> Referral:
    """A resident of district 982, held by clinic B, referred by clinic A (district 981)."""
    return _submitted(world, tuan_person.cases.get(), "clinic_a")


def test_the_queue_is_who_may_approve(
    world: World, hai: User, outside_sender: Referral, inside_sender: Referral
) -> None:
    # The edge: the case scope and the workflow disagree on both referrals.
    assert access.visible_cases(hai).filter(pk=outside_sender.case_id).exists()
    assert not access.visible_cases(hai).filter(pk=inside_sender.case_id).exists()
    assert workflow.SUPERVISOR not in workflow.parties(hai, outside_sender)
    assert workflow.SUPERVISOR in workflow.parties(hai, inside_sender)

    page = signed_in_client(hai).get(reverse("referrals:queue"), {"tab": "review"})
    assert [row.referral.pk for row in page.context["page"].rows] == [inside_sender.pk]
    counts = {t.url.split("tab=")[1]: t.value for t in selectors.tallies(hai)}
    assert counts["review"] == 1


def test_the_supervisor_opens_and_approves_what_the_queue_shows(
    world: World, hai: User, inside_sender: Referral
) -> None:
    client = signed_in_client(hai)
    assert (
        client.get(reverse("referrals:referral_detail", args=[inside_sender.pk])).status_code == 200
    )
    act = reverse("referrals:referral_act", args=[inside_sender.pk])
    # Clinic B holds the case and has not agreed: the page asks for the supervisor's note.
    refused = client.post(act, {"action": "approve"})
    assert refused.status_code == 200 and "comment" in refused.context["form"].errors
    note = "Phòng khám B đồng ý qua điện thoại ngày hôm nay"
    assert client.post(act, {"action": "approve", "comment": note}).status_code == 302
    inside_sender.refresh_from_db()
    assert inside_sender.state == State.APPROVED


def test_a_supervisor_outside_the_senders_area_cannot_approve(
    world: World, hai: User, outside_sender: Referral
) -> None:
    """ASVS 8.2.2: a supervisor who sees the case but not the sender's area is refused."""
    act = reverse("referrals:referral_act", args=[outside_sender.pk])
    page = signed_in_client(hai).post(act, {"action": "approve"})
    assert page.status_code == 200 and "action-approve" not in page.text  # not offered
    with pytest.raises(Http404):
        actions.referral_act(actor=hai, referral_id=outside_sender.pk, action="approve")
    outside_sender.refresh_from_db()
    assert outside_sender.state == State.SUBMITTED
    denied = Event.objects.filter(actor=hai, action=CaseAction.DENIED, object_id=outside_sender.pk)
    assert denied.filter(detail__perm="approve").exists()
