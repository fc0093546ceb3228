"""The emergency-access review pages: the queue, one review, the final "not justified", revoking.

tuan (clinic B) breaks the glass on lan_person (clinic A); hoa (supervisor, province 98) and
an (auditor) review; lan (caseworker) is no reviewer.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import actions
from cases.events import CaseAction
from cases.models import (
    CaseUserObjectPermission,
    EmergencyAccess,
    Person,
    PersonUserObjectPermission,
)
from tests.conftest import World
from tests.factories import make_person

REASON = "Người bệnh nhập viện cấp cứu, cần xem liều methadone đang dùng"


def _grant(world: World, person: Person) -> EmergencyAccess:
    return actions.emergency_access_grant(actor=world.users["tuan"], person=person, reason=REASON)


def test_every_card_of_the_queue_has_its_own_radio_ids(world: World, lan_person: Person) -> None:
    """Tapping a label on one card must tick that card's radio, never another card's."""
    second = make_person(residence_commune=world.units["c2"], registered_by=world.orgs["clinic_a"])
    _grant(world, lan_person)
    _grant(world, second)
    page = world.client("an").get(reverse("cases:emergency_review_list")).content.decode()
    ids = re.findall(r'<input[^>]* id="([^"]+)"', page)
    radios = [i for i in ids if "justified" in i]
    assert len(radios) == 4
    assert len(ids) == len(set(ids)), "repeated ids on the review queue"
    for label_for in re.findall(r'<label class="choice" for="([^"]+)"', page):
        assert label_for in ids


def test_reading_the_queue_is_recorded_and_shows_no_reasons(
    world: World, lan_person: Person
) -> None:
    """Issue 11 item 17: the queue read is an event; free-text reasons are not on it."""
    _grant(world, lan_person)
    response = world.client("an").get(reverse("cases:emergency_review_list"))
    assert REASON not in response.content.decode()
    event = Event.objects.get(action=CaseAction.EMERGENCY_QUEUE_READ)
    assert event.actor == world.users["an"]
    assert event.detail["people"] == [str(lan_person.pk)]


def test_the_single_review_shows_the_reason_and_records_the_read(
    world: World, lan_person: Person
) -> None:
    grant = _grant(world, lan_person)
    response = world.client("an").get(reverse("cases:emergency_review", args=[grant.pk]))
    assert response.status_code == 200
    assert REASON in response.content.decode()
    assert "Trần Thị Bình" not in response.content.decode()
    event = Event.objects.get(action=CaseAction.EMERGENCY_ACCESS_READ)
    assert event.actor == world.users["an"]
    assert event.person_id == lan_person.pk
    assert event.object_id == str(grant.pk)


def test_not_justified_needs_a_confirmation(world: World, lan_person: Person) -> None:
    grant = _grant(world, lan_person)
    url = reverse("cases:emergency_review", args=[grant.pk])
    client = world.client("hoa")
    unconfirmed = client.post(url, {"justified": "no", "note": "Không có hồ sơ cấp cứu"})
    assert unconfirmed.status_code == 200
    assert "confirm" in unconfirmed.context["form"].errors
    assert "Không có hồ sơ cấp cứu" in unconfirmed.content.decode()  # the note is kept
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    confirmed = client.post(url, {"justified": "no", "confirm": "on", "note": "Không có"})
    assert confirmed.status_code == 302
    grant.refresh_from_db()
    assert grant.justified is False


def test_justified_needs_no_confirmation(world: World, lan_person: Person) -> None:
    grant = _grant(world, lan_person)
    url = reverse("cases:emergency_review", args=[grant.pk])
    assert world.client("an").post(url, {"justified": "yes"}).status_code == 302
    grant.refresh_from_db()
    assert grant.justified is True


@pytest.mark.parametrize("reviewer", ["hoa", "an"])
def test_a_reviewer_ends_an_emergency_access(
    world: World, lan_person: Person, reviewer: str
) -> None:
    """ASVS 8.3.x: a reviewer can take an unjustified access away at once; it is logged."""
    grant = _grant(world, lan_person)
    tuan = world.client("tuan")
    person_url = reverse("cases:person_detail", args=[lan_person.pk])
    assert tuan.get(person_url).status_code == 200
    url = reverse("cases:emergency_revoke", args=[grant.pk])
    response = world.client(reviewer).post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert tuan.get(person_url).status_code == 404
    assert not PersonUserObjectPermission.objects.filter(emergency=grant).exists()
    assert not CaseUserObjectPermission.objects.filter(emergency=grant).exists()
    grant.refresh_from_db()
    assert grant.expires_at <= timezone.now()
    event = Event.objects.get(action=CaseAction.EMERGENCY_REVOKED)
    assert event.actor == world.users[reviewer]
    assert event.person_id == lan_person.pk
    assert event.detail == {"grants_removed": 2}


def test_revoking_needs_the_confirmation(world: World, lan_person: Person) -> None:
    grant = _grant(world, lan_person)
    world.client("an").post(reverse("cases:emergency_revoke", args=[grant.pk]))
    assert (
        world.client("tuan").get(reverse("cases:person_detail", args=[lan_person.pk])).status_code
        == 200
    )
    assert not Event.objects.filter(action=CaseAction.EMERGENCY_REVOKED).exists()


def test_a_non_reviewer_cannot_revoke(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: a caseworker posting to the revoke URL is refused (404) and logged."""
    grant = _grant(world, lan_person)
    response = world.client("lan").post(
        reverse("cases:emergency_revoke", args=[grant.pk]), {"confirm": "on"}
    )
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.expires_at > timezone.now()
    assert PersonUserObjectPermission.objects.filter(emergency=grant).exists()
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["lan"], object_id=str(grant.pk)
    ).exists()


def test_nobody_revokes_their_own_emergency_access(world: World, lan_person: Person) -> None:
    grant = actions.emergency_access_grant(
        actor=world.users["hoa"], person=lan_person, reason=REASON
    )
    world.client("hoa").post(reverse("cases:emergency_revoke", args=[grant.pk]), {"confirm": "on"})
    grant.refresh_from_db()
    assert grant.expires_at > timezone.now()
    assert not Event.objects.filter(action=CaseAction.EMERGENCY_REVOKED).exists()


def test_revoking_leaves_other_grants_alone(world: World, lan_person: Person) -> None:
    """A grant given otherwise (e.g. an accepted referral) is not the reviewer's to end."""
    from cases.roles import grant_give

    other = make_person(residence_commune=world.units["c2"], registered_by=world.orgs["clinic_a"])
    grant = _grant(world, lan_person)
    grant_give(actor=None, user=world.users["tuan"], obj=other)
    world.client("an").post(reverse("cases:emergency_revoke", args=[grant.pk]), {"confirm": "on"})
    assert (
        world.client("tuan").get(reverse("cases:person_detail", args=[other.pk])).status_code == 200
    )
