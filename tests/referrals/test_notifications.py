"""Each step made on the referral page tells the next actor, in words that name no one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, Person
from notifications.models import Notification
from tests.conftest import World
from tests.referrals.test_views import make_referral, make_resident

# (action, who acts, who is told next)
JOURNEY = [
    ("submit", "minh", "hoa"),
    ("approve", "hoa", "minh"),
    ("send", "minh", "tuan"),
    ("accept", "tuan", "minh"),
    ("complete", "tuan", "minh"),
]


@pytest.fixture
def resident(world: World) -> Person:
    return make_resident(world)


def test_each_step_notifies_the_next_actor_without_identifiers(
    world: World, resident: Person
) -> None:
    """ASVS 14.2.1 (no sensitive data in messages): the text holds the short id and the
    service only, never the person's name, ID number or phone."""
    referral = make_referral(world, Case.objects.get(person=resident))
    url = reverse("referrals:referral_act", args=[referral.pk])
    for action, actor, told in JOURNEY:
        before = Notification.objects.filter(recipient=world.users[told]).count()
        data = {"action": action, "comment": "", "outcome": "Đã ổn định"}
        assert world.client(actor).post(url, data).status_code == 302, action
        mine = Notification.objects.filter(recipient=world.users[told]).order_by("-created_at")
        assert mine.count() == before + 1, action
        note = mine.first()
        assert note is not None and referral.short_id in note.text
        assert note.url == reverse("referrals:referral_detail", args=[referral.pk])
        for secret in ("Hà Văn Sáng", resident.citizen_id, resident.phone):
            assert secret not in note.text
    assert not Notification.objects.filter(recipient=world.users["lan"]).exists()


def test_the_actor_is_not_told_of_their_own_step(world: World, resident: Person) -> None:
    referral = make_referral(world, Case.objects.get(person=resident))
    url = reverse("referrals:referral_act", args=[referral.pk])
    world.client("minh").post(url, {"action": "submit"})
    assert not Notification.objects.filter(recipient=world.users["minh"]).exists()
