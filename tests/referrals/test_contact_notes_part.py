"""A referral's receiver reads contact notes only when the "notes" part was shared (D42).

ASVS 5.0 8.2.2, 8.2.3 (data- and field-level access: minimum necessary), 16.3.2 (the
refused read is logged).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import access, notes
from cases.events import CaseAction
from cases.models import Case, ContactNote
from referrals import actions
from referrals.models import Consent, Part, State
from tests.conftest import World

from .support import make_referral

SECRET = "Gia đình muốn chuyển đi tỉnh khác"


def _note(world: World, case: Case) -> ContactNote:
    note = ContactNote(case=case, contacted_on=timezone.localdate(), text=SECRET)
    return notes.contactnote_add(actor=world.users["lan"], note=note)


def _accept(world: World, case: Case, consent: Consent, parts: list[str]) -> None:
    referral = make_referral(world, case, state=State.SENT, consent=consent, parts=parts)
    actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")


def test_a_receiver_without_the_notes_part_cannot_read_a_note(
    world: World, case: Case, consent: Consent
) -> None:
    note = _note(world, case)
    _accept(world, case, consent, [Part.IDENTITY, Part.TREATMENT])
    client = world.client("tuan")
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("cases:note_detail", args=[note.pk]) not in page
    denied = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert client.get(reverse("cases:note_detail", args=[note.pk])).status_code == 404
    after = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert after == denied + 1
    assert not access.visible(world.users["tuan"], ContactNote).exists()


def test_a_receiver_with_the_notes_part_reads_the_note(
    world: World, case: Case, consent: Consent
) -> None:
    note = _note(world, case)
    _accept(world, case, consent, [Part.NOTES])
    client = world.client("tuan")
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("cases:note_detail", args=[note.pk]) in page
    assert SECRET in client.get(reverse("cases:note_detail", args=[note.pk])).content.decode()


def test_a_receiver_does_not_see_the_clients_family(
    world: World, case: Case, consent: Consent
) -> None:
    """D42: a grant on the client (even with "identity") does not open their family: the
    family member's page is 404 and logged, and the client's page lists no link."""
    from cases.models import FamilyLink, Person, Relation
    from tests.factories import make_person

    mother = make_person(
        full_name="Phạm Thị Hạnh",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
        family_only=True,
    )
    FamilyLink.objects.create(
        person=case.person, relative=mother, relation=Relation.PARENT, added_by=world.users["lan"]
    )
    _accept(world, case, consent, [Part.IDENTITY, Part.NOTES])
    tuan = world.users["tuan"]
    assert not access.visible_people(tuan).filter(pk=mother.pk).exists()
    assert access.visible_people(tuan).filter(pk=case.person_id).exists()
    client = world.client("tuan")
    page = client.get(reverse("cases:person_detail", args=[case.person_id])).content.decode()
    assert "Phạm Thị Hạnh" not in page and str(mother.pk) not in page
    denied = Event.objects.filter(action=CaseAction.DENIED, actor=tuan).count()
    assert client.get(reverse("cases:person_detail", args=[mother.pk])).status_code == 404
    assert Event.objects.filter(action=CaseAction.DENIED, actor=tuan).count() == denied + 1
    assert Person.objects.filter(pk=mother.pk).exists()
