"""Who a person is shows only to those a rule, an emergency access or a shared "identity" part
lets see it (``access.identity_hidden`` / ``identity_shown``), tried on the function itself.

Written from the mutation run over the identity rule: each test kills mutants that the page
tests left alive (a default flipped, a role check weakened, ids read as tuples, a record id
taken for a person). ASVS 8.2.2 (data-level access), 8.2.3 (field-level access).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser

from cases import access
from cases.models import Case, Person
from referrals import actions as referral_actions
from referrals.models import Referral
from services.models import ServiceType
from tests.conftest import World


def _refer_to_tuan(world: World, person: Person, parts: list[str]) -> None:
    """lan's clinic refers the person's case to clinic B sharing ``parts``; tuan accepts."""
    referral = Referral.objects.create(
        case=Case.objects.get(person=person),
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Chuyển gửi thử",
        recorded_by=world.users["lan"],
        state="sent",
        sent_on=datetime.date(2026, 11, 1),
        parts=parts,
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )


def test_a_person_out_of_reach_is_hidden_when_not_read_through_a_list(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """Without ``visible=True`` the ids are not assumed visible: lan does not see tuan's."""
    lan = world.users["lan"]
    assert access.identity_hidden(lan, [tuan_person.pk]) == {tuan_person.pk}
    assert access.identity_hidden(lan, [lan_person.pk]) == set()


def test_no_content_role_sees_no_identity_even_from_a_list(
    world: World, lan_person: Person
) -> None:
    for who in ("an", "quan"):
        user = world.users[who]
        assert access.identity_hidden(user, [lan_person.pk], visible=True) == {lan_person.pk}
        assert access.identity_hidden(user, [lan_person.pk]) == {lan_person.pk}
    assert access.identity_hidden(AnonymousUser(), [lan_person.pk]) == {lan_person.pk}
    assert not access.identity_shown(AnonymousUser(), lan_person)


def test_a_grant_shows_the_identity_only_with_the_identity_part(
    world: World, lan_person: Person
) -> None:
    tuan = world.users["tuan"]
    _refer_to_tuan(world, lan_person, ["screenings"])
    assert not access.identity_shown(tuan, lan_person)
    assert not access.identity_shown(tuan, lan_person.pk)  # a bare id is a person's id too


def test_a_grant_with_the_identity_part_shows_it(world: World, lan_person: Person) -> None:
    tuan = world.users["tuan"]
    _refer_to_tuan(world, lan_person, ["identity", "screenings"])
    assert access.identity_shown(tuan, lan_person)
    assert access.identity_shown(tuan, lan_person.pk)
    assert access.identity_hidden(tuan, [lan_person.pk]) == set()
