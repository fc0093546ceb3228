"""A record type that hangs off a case gets scoping, audit and history from the public entry
points alone: the example app (tests/exampleapp) plugs in with no edit in cases/, audit/ or
accounts/.

ASVS 8.2.2 (data-level access through the owning case), 16.2.1 (each read and denial logged
with the person it concerns), 14.2.4 (identifying free text encrypted at rest).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.http import Http404

from accounts.capabilities import can
from audit import context as audit_context
from audit import registry
from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Case, Person
from tests.conftest import World
from tests.exampleapp.actions import casenote_add, casenote_change
from tests.exampleapp.events import NoteAction
from tests.exampleapp.models import CaseNote

SECRET = "Đã tái nghiện sau khi chuyển nhà, gia đình không biết"

# Who sees which note: a note is visible exactly to those who see its case.
EXPECTED = {
    "lan": {"a"},  # clinic A's case, assigned to her
    "mai": {"a"},  # the teammate: same clinic, nothing assigned
    "tuan": {"b"},  # clinic B's case
    "minh": {"a"},  # the person lives in his commune
    "hoa": {"a", "b"},  # the whole province
    "an": set(),  # auditor: never case content
    "quan": set(),  # administrator: never case content
}


@pytest.fixture
def notes(world: World, lan_person: Person, tuan_person: Person) -> dict[str, CaseNote]:
    return {
        "a": CaseNote.objects.create(case=lan_person.cases.get(), text=SECRET),
        "b": CaseNote.objects.create(case=tuan_person.cases.get(), text="Ghi chú B"),
    }


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_notes_are_visible_exactly_to_those_who_see_the_case(
    world: World, notes: dict[str, CaseNote], who: str
) -> None:
    user = world.users[who]
    shown = set(access.visible(user, CaseNote).values_list("pk", flat=True))
    assert shown == {notes[key].pk for key in EXPECTED[who]}
    cases = set(access.visible_cases(user).values_list("pk", flat=True))
    assert shown == {n.pk for n in notes.values() if n.case_id in cases}


def test_reading_a_note_records_an_event_naming_the_person(
    world: World, notes: dict[str, CaseNote], lan_person: Person
) -> None:
    lan = world.users["lan"]
    found = access.get_for_user(lan, CaseNote, notes["a"].pk)
    assert found == notes["a"]
    event = Event.objects.get(action=CaseAction.RECORD_READ, actor=lan)
    assert event.object_type == "casenote"
    assert event.object_id == str(notes["a"].pk)
    assert event.person_id == lan_person.pk


def test_a_note_out_of_scope_is_404_and_the_denial_is_recorded(
    world: World, notes: dict[str, CaseNote]
) -> None:
    """ASVS 8.2.2: another organisation's note is refused without revealing it, and logged."""
    tuan = world.users["tuan"]
    with pytest.raises(Http404):
        access.get_for_user(tuan, CaseNote, notes["a"].pk)
    denial = Event.objects.get(action=CaseAction.DENIED, actor=tuan)
    assert (denial.object_type, denial.object_id) == ("casenote", str(notes["a"].pk))
    assert not Event.objects.filter(action=CaseAction.RECORD_READ, actor=tuan).exists()


def test_change_capability_follows_the_case_scope(world: World, notes: dict[str, CaseNote]) -> None:
    note = notes["a"]
    assert can(world.users["lan"], "casenote.change", note)
    assert can(world.users["mai"], "casenote.change", note)
    assert can(world.users["minh"], "casenote.change", note)
    assert not can(world.users["tuan"], "casenote.change", note)
    assert not can(world.users["hoa"], "casenote.change", note)  # supervisors read only
    assert not can(world.users["an"], "casenote.change", note)
    # Hand the case to clinic B: the note follows it.
    Case.objects.filter(pk=note.case_id).update(organisation=world.orgs["clinic_b"])
    assert not can(world.users["mai"], "casenote.change", note)
    assert can(world.users["tuan"], "casenote.change", note)
    assert can(world.users["lan"], "casenote.change", note)  # still assigned to her


def test_an_outsider_cannot_change_a_note_and_the_row_is_unchanged(
    world: World, notes: dict[str, CaseNote]
) -> None:
    note = notes["a"]
    with pytest.raises(PermissionDenied):
        casenote_change(actor=world.users["tuan"], note=note, text="Bị sửa")
    assert CaseNote.objects.get(pk=note.pk).text == SECRET
    assert not Event.objects.filter(action=NoteAction.NOTE_CHANGED).exists()


def test_the_app_registers_its_own_audit_action(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    note = casenote_add(actor=lan, case_id=lan_person.cases.get().pk, text=SECRET)
    assert registry.get(NoteAction.NOTE_ADDED).label == "Added a case note"
    event = Event.objects.get(action=NoteAction.NOTE_ADDED)
    assert (event.actor, event.object_id, event.person_id) == (lan, str(note.pk), lan_person.pk)


def test_an_outsider_cannot_add_a_note(world: World, lan_person: Person) -> None:
    case = lan_person.cases.get()
    with pytest.raises(Http404):
        casenote_add(actor=world.users["tuan"], case_id=case.pk, text="Ghi chú lạ")
    assert not CaseNote.objects.exists()
    assert Event.objects.filter(action=CaseAction.DENIED, object_id=str(case.pk)).count() == 1


def test_history_rows_carry_the_request_id_and_the_user(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    context = audit_context.RequestContext(request_id="req-note-0001")
    with audit_context.bound(context):
        note = casenote_add(actor=lan, case_id=lan_person.cases.get().pk, text=SECRET)
    with audit_context.bound(audit_context.RequestContext(request_id="req-note-0002")):
        casenote_change(actor=world.users["mai"], note=note, text="Đã gặp gia đình")
    rows = list(note.history.order_by("history_date"))
    assert [(r.history_request_id, r.history_user) for r in rows] == [
        ("req-note-0001", lan),
        ("req-note-0002", world.users["mai"]),
    ]
    assert [r.text for r in rows] == [SECRET, "Đã gặp gia đình"]


@pytest.mark.parametrize("table", ["exampleapp_casenote", "exampleapp_historicalcasenote"])
def test_the_text_is_ciphertext_in_the_database(
    world: World, lan_person: Person, table: str
) -> None:
    """ASVS 14.2.4: the note's text is unreadable at rest, history included."""
    casenote_add(actor=world.users["lan"], case_id=lan_person.cases.get().pk, text=SECRET)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "text" FROM "{table}"')
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 1
    assert stored[0] and SECRET not in stored[0] and "tái nghiện" not in stored[0].casefold()


@pytest.mark.django_db
def test_the_example_app_migrations_are_in_sync() -> None:
    out = StringIO()
    call_command("makemigrations", "exampleapp", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
