"""A referral's timeline entry links to the referral page only for a viewer who may open it.

ASVS 8.2.2 (object-level access): the link follows the referral page's own rule, so no viewer
is offered a link the page would refuse.
"""

from __future__ import annotations

from django.urls import reverse

from cases.models import Case
from referrals import actions, sharing
from referrals.models import Consent, Part, State
from tests.conftest import World

from .support import make_referral


def test_the_sender_gets_a_link_on_the_case_and_person_timelines(
    world: World, case: Case, consent: Consent
) -> None:
    referral = make_referral(world, case, state=State.SENT, consent=consent)
    link = reverse("referrals:referral_detail", args=[referral.pk])
    lan = world.client("lan")
    assert f'href="{link}"' in lan.get(reverse("cases:case_detail", args=[case.pk])).text
    person_page = lan.get(reverse("cases:person_detail", args=[case.person_id]))
    assert f'href="{link}"' in person_page.text


def test_a_receiver_limited_to_parts_sees_only_its_own_referral_linked(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.2: a receiver limited to shared parts sees its own referral on the case and
    person pages, linked, and nothing of where else the person was referred."""
    theirs = make_referral(world, case, state=State.SENT, consent=consent, parts=[Part.IDENTITY])
    actions.referral_act(actor=world.users["tuan"], referral_id=theirs.pk, action="accept")
    other = make_referral(world, case, state=State.SENT, consent=consent, to="social")
    tuan = world.client("tuan")
    link = reverse("referrals:referral_detail", args=[theirs.pk])
    for page in (
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:person_detail", args=[case.person_id]),
    ):
        text = tuan.get(page).text
        assert f'href="{link}"' in text, page
        assert str(world.orgs["social"]) not in text, page
    entries = list(sharing.timeline_entries(world.users["tuan"], [case.pk], 10))
    assert [entry.url for entry in entries] == [link]
    # The page of the other referral refuses that viewer: the rule is the same.
    refused = tuan.get(reverse("referrals:referral_detail", args=[other.pk]))
    assert refused.status_code == 404
