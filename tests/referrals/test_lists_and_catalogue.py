"""Referral lists name the person for those allowed to know, the parts' labels say something
new, methadone can be referred to, and treatment never goes to the police or the commune's
committee (issue 23, item 17)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from cases.choices import ClientCategory
from cases.events import CaseAction
from cases.models import Case, Person
from referrals import actions, providers
from referrals.forms import ReferralForm, part_choices
from referrals.models import Part
from services.models import ServiceType
from tests.conftest import World

from .test_views import SENT, make_referral, make_resident

NAME = "Hà Văn Sáng"  # make_resident's person


@pytest.fixture
def commune_case(world: World) -> Case:
    return Case.objects.get(person=make_resident(world))


def _queue(world: World, who: str, tab: str) -> str:
    page = world.client(who).get(reverse("referrals:queue"), {"tab": tab})
    assert page.status_code == 200
    return page.content.decode()


def test_the_queue_names_the_person_only_to_those_allowed(world: World, commune_case: Case) -> None:
    referral = make_referral(world, commune_case, steps=SENT)  # shares "treatment" only
    assert NAME in _queue(world, "minh", "sent")
    people = Event.objects.filter(action=CaseAction.PEOPLE_LIST, actor=world.users["minh"])
    assert people.get().detail["people"] == [str(commune_case.person_id)]
    # The receiver before accepting, and after accepting without the identity part: the
    # record number, never the name.
    waiting = _queue(world, "tuan", "waiting")
    assert NAME not in waiting and commune_case.person.short_id in waiting
    actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")
    received = _queue(world, "tuan", "received")
    assert NAME not in received and commune_case.person.short_id in received
    # The outsider sees no row at all.
    assert NAME not in _queue(world, "lan", "sent")


def test_the_receiver_with_the_identity_part_sees_the_name(
    world: World, commune_case: Case
) -> None:
    referral = make_referral(world, commune_case)
    actions.referral_update(
        actor=world.users["minh"],
        referral_id=referral.pk,
        version=referral.version,
        parts=[Part.IDENTITY, Part.TREATMENT],
    )
    for action, who in (*SENT, ("accept", "tuan")):
        actions.referral_act(actor=world.users[who], referral_id=referral.pk, action=action)
    assert NAME in _queue(world, "tuan", "received")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_shared_parts_labels_do_not_repeat_themselves(language: str) -> None:
    with translation.override(language):
        for code, text in part_choices():
            label = str(Part(code).label).lower()
            detail = text[len(label) :].strip(" ()").lower()
            # The description adds to the label: it neither restates nor begins with it.
            assert detail != label and not detail.startswith(label), text


def test_methadone_can_be_referred_to(world: World, lan_person: Person) -> None:
    service = ServiceType.objects.get(code="opioid_substitution")
    assert service.is_active and service.offered_to(ClientCategory.ADDICTION)
    assert not service.offered_to(ClientCategory.TRAFFICKING_VICTIM)
    form = ReferralForm(case=Case.objects.get(person=lan_person))
    assert service in form.fields["service_type"].queryset  # type: ignore[attr-defined]


def test_the_receiving_list_names_each_organisations_kind(world: World, lan_person: Person) -> None:
    form = ReferralForm(case=Case.objects.get(person=lan_person))
    labels = [label for _value, label in form.fields["to_organisation"].choices]  # type: ignore[attr-defined]
    assert any(str(label) == "UBND xã Một Một (UBND xã/phường)" for label in labels)


def test_treatment_never_goes_to_the_police_or_the_commune_committee(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)

    def refer(code: str, to: str) -> None:
        actions.referral_create(
            actor=world.users["lan"],
            case_id=case.pk,
            to_organisation=world.orgs[to],
            service_type=ServiceType.objects.get(code=code),
            parts=[Part.TREATMENT],
            reason="Cần điều trị gần nhà",
        )

    for code in ("medical", "opioid_substitution"):
        with pytest.raises(ValidationError) as refused:
            refer(code, "commune_x")
        assert "to_organisation" in refused.value.error_dict
    with pytest.raises(ValidationError):
        refer("opioid_substitution", "social")
    refer("opioid_substitution", "clinic_b")
    refer("family_support", "commune_x")
    assert not providers.may_provide(
        service_code="hiv_testing", service_category="health", organisation_type="police"
    )
    assert providers.may_provide(
        service_code="legal_aid", service_category="victim_support", organisation_type="police"
    )
