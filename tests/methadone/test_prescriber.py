"""Prescribing is a qualification of a staff member (issue 23.1): the nurse doses, only the
staff member qualified to prescribe writes a prescription or a one-day dose, and the
qualification is granted only with a second person's approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.capabilities import can
from audit.models import Event
from cases.events import CaseAction
from cases.models import Person, RoleChangeRequest, StaffProfile
from cases.roles import role_request_decide, staff_profile_save
from services.methadone import actions
from services.methadone.capabilities import PRESCRIPTION_RECORD
from services.methadone.models import DoseOverride, Phase, Prescription
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.methadone.support import days_ago, methadone_episode


@pytest.fixture
def episode(world: World, lan_person: Person) -> TreatmentEpisode:
    return methadone_episode(lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"])


def _denied(world: World, who: str, episode: TreatmentEpisode) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users[who], object_id=str(episode.pk)
    ).count()


def test_the_nurse_cannot_prescribe_nor_write_a_one_day_dose_and_is_logged(
    world: World, episode: TreatmentEpisode
) -> None:
    """ASVS 8.2.2: mai, a caseworker of clinic A without the prescriber qualification, gets
    the prescription and one-day dose pages refused (404) and the actions raise
    PermissionDenied; nothing is written and every refusal is a denial event."""
    client = world.client("mai")
    day = days_ago(0).strftime("%d/%m/%Y")
    for name, data in (
        (
            "methadone:prescription_add",
            {
                "starts_on": day,
                "dose_mg": "180",
                "phase": "maintenance",
                "take_home_days": "0",
                "reason": "x",
                "override_reason": "x",
            },
        ),
        ("methadone:dose_override", {"day": day, "dose_mg": "180", "reason": "Tăng"}),
    ):
        url = reverse(name, args=[episode.pk])
        before = _denied(world, "mai", episode)
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
        assert _denied(world, "mai", episode) == before + 2
    mai = world.users["mai"]
    with pytest.raises(PermissionDenied):
        actions.dose_override_record(
            actor=mai, episode_id=episode.pk, day=days_ago(0), dose_mg=Decimal(180), reason="x"
        )
    with pytest.raises(PermissionDenied):
        actions.prescription_record(
            actor=mai,
            episode_id=episode.pk,
            override_reason="x",
            prescription=Prescription(
                starts_on=days_ago(0), dose_mg=Decimal(180), phase=Phase.MAINTENANCE
            ),
        )
    assert _denied(world, "mai", episode) >= 6
    assert not DoseOverride.objects.exists()
    assert Prescription.objects.count() == 1


def test_the_prescriber_prescribes_and_writes_a_one_day_dose(
    world: World, episode: TreatmentEpisode
) -> None:
    lan = world.users["lan"]
    client = world.client("lan")
    assert client.get(reverse("methadone:prescription_add", args=[episode.pk])).status_code == 200
    row = actions.dose_override_record(
        actor=lan, episode_id=episode.pk, day=days_ago(0), dose_mg=Decimal(30), reason="Giảm"
    )
    assert row.recorded_by == lan


def test_a_nurse_cannot_be_named_the_prescriber(world: World, episode: TreatmentEpisode) -> None:
    """lan cannot write a prescription under mai's name: mai is not qualified."""
    url = reverse("methadone:prescription_add", args=[episode.pk])
    response = world.client("lan").post(
        url,
        {
            "starts_on": days_ago(0).strftime("%d/%m/%Y"),
            "dose_mg": "60",
            "phase": "maintenance",
            "take_home_days": "0",
            "prescriber": world.users["mai"].pk,
            "reason": "x",
            "override_reason": "",
        },
    )
    assert response.status_code == 200 and "prescriber" in response.context["form"].errors
    assert Prescription.objects.count() == 1


def test_granting_the_qualification_waits_for_a_second_person(world: World) -> None:
    """ASVS 8.1.x / 1.2 dual control: quan ticks "may prescribe" for mai; it is a pending
    request (an event) and mai still cannot prescribe until hoa approves it."""
    mai = world.users["mai"]
    profile = StaffProfile.objects.get(user=mai)
    profile.may_prescribe = True
    _kept, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    assert pending is not None and pending.may_prescribe
    assert not StaffProfile.objects.get(user=mai).may_prescribe
    requested = Event.objects.get(action=CaseAction.ROLE_CHANGE_REQUESTED)
    assert requested.detail["may_prescribe"] is True
    mai = type(mai).objects.get(pk=mai.pk)
    assert not can(mai, PRESCRIPTION_RECORD)
    role_request_decide(actor=world.users["hoa"], request=pending, approve=True)
    assert StaffProfile.objects.get(user=mai).may_prescribe
    mai = type(mai).objects.get(pk=mai.pk)
    assert can(mai, PRESCRIPTION_RECORD)
    changed = Event.objects.filter(action=CaseAction.ROLE_CHANGED, object_id=str(mai.pk))
    assert any(e.detail.get("may_prescribe") == [False, True] for e in changed)


def test_withdrawing_the_qualification_applies_at_once(world: World) -> None:
    """Taking the qualification away narrows access: no second person, an event."""
    lan = world.users["lan"]
    profile = StaffProfile.objects.get(user=lan)
    profile.may_prescribe = False
    _saved, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    assert pending is None and not RoleChangeRequest.objects.exists()
    lan = type(lan).objects.get(pk=lan.pk)
    assert not can(lan, PRESCRIPTION_RECORD)
    assert Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, object_id=str(lan.pk), detail__may_prescribe=[True, False]
    ).exists()


def test_the_admin_asks_for_the_qualification_and_it_waits(world: World) -> None:
    """The staff profile page in the admin has "may prescribe"; ticking it for mai is a
    request for a second person, not a change (ASVS 8.1.x dual control)."""
    from tests.conftest import signed_in_client

    profile = StaffProfile.objects.get(user=world.users["mai"])
    data = {
        "user": str(profile.user_id),
        "organisation": str(profile.organisation_id),
        "role": profile.role,
        "second_role": "",
        "scope_unit": str(profile.scope_unit_id),
        "may_prescribe": "on",
    }
    client = signed_in_client(world.users["quan"])
    response = client.post(f"/admin/cases/staffprofile/{profile.pk}/change/", data)
    assert response.status_code == 302
    assert RoleChangeRequest.objects.get(user=world.users["mai"]).may_prescribe
    profile.refresh_from_db()
    assert not profile.may_prescribe
