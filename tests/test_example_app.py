"""The one recipe for a record type (cases/records.py), proven by the example app.

tests/exampleapp plugs a case note in with one ``records.register(NOTES)`` call and no edit in
cases/, audit/ or accounts/: scoping through its case, verbs, audit actions, the shared save
step with version and history, its timeline entry, the "Add…" menu, its due items and the
referral part it belongs to.

ASVS 8.2.2 (data-level access through the owning case), 16.2.1 (each read and denial logged
with the person it concerns), 14.2.4 (identifying free text encrypted at rest).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from accounts.capabilities import can
from audit import context as audit_context
from audit import registry
from audit.models import Event
from cases import access, dues, records, timeline
from cases.choices import CaseStatus
from cases.events import CaseAction
from cases.models import Case, Person
from core.editing import EditConflict
from tests.conftest import World
from tests.exampleapp.actions import casenote_add, casenote_change
from tests.exampleapp.models import CaseNote, PersonNote, Topic
from tests.exampleapp.records import NOTES

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


def _add(actor: Any, case: Case, **fields: Any) -> CaseNote:
    return casenote_add(actor=actor, note=CaseNote(case=case, **{"text": SECRET, **fields}))


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


def test_an_outsider_cannot_change_a_note_the_row_is_unchanged_and_it_is_logged(
    world: World, notes: dict[str, CaseNote]
) -> None:
    """ASVS 8.2.2: the recipe's save step checks the verb on the row and records a refusal."""
    note = notes["a"]
    tuan = world.users["tuan"]
    note.text = "Bị sửa"
    with pytest.raises(PermissionDenied):
        casenote_change(actor=tuan, note=note, if_version=note.version)
    assert CaseNote.objects.get(pk=note.pk).text == SECRET
    assert not Event.objects.filter(action=NOTES.changed_action).exists()
    denial = Event.objects.get(action=CaseAction.DENIED, actor=tuan)
    assert (denial.object_id, denial.detail["perm"]) == (str(note.pk), "casenote.change")


def test_the_recipe_registers_the_audit_actions(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    note = _add(lan, lan_person.cases.get())
    with translation.override("en"):
        assert str(registry.get("casenote_added").label) == "Added a case note"
        assert str(registry.get("casenote_changed").label) == "Changed a case note"
    event = Event.objects.get(action="casenote_added")
    assert (event.actor, event.object_id, event.person_id) == (lan, str(note.pk), lan_person.pk)


def test_an_outsider_cannot_add_a_note(world: World, lan_person: Person) -> None:
    case = lan_person.cases.get()
    tuan = world.users["tuan"]
    with pytest.raises(PermissionDenied):
        _add(tuan, case, text="Ghi chú lạ")
    with pytest.raises(Http404):
        NOTES.case_to_add_to(tuan, case.pk)
    assert not CaseNote.objects.exists()
    assert Event.objects.filter(action=CaseAction.DENIED, object_id=str(case.pk)).count() == 2


def test_history_rows_carry_the_request_id_and_the_user(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    context = audit_context.RequestContext(request_id="req-note-0001")
    with audit_context.bound(context):
        note = _add(lan, lan_person.cases.get())
    note.text = "Đã gặp gia đình"
    with audit_context.bound(audit_context.RequestContext(request_id="req-note-0002")):
        casenote_change(actor=world.users["mai"], note=note, if_version=1)
    rows = list(note.history.order_by("history_date"))
    assert [(r.history_request_id, r.history_user, r.version) for r in rows] == [
        ("req-note-0001", lan, 1),
        ("req-note-0002", world.users["mai"], 2),
    ]
    assert [r.text for r in rows] == [SECRET, "Đã gặp gia đình"]


def test_a_stale_change_is_refused_and_writes_nothing(world: World, lan_person: Person) -> None:
    note = _add(world.users["lan"], lan_person.cases.get())
    note.text = "Lần một"
    casenote_change(actor=world.users["lan"], note=note, if_version=1)
    stale = CaseNote.objects.get(pk=note.pk)
    stale.text = "Lần hai, từ trang cũ"
    with pytest.raises(EditConflict):
        casenote_change(actor=world.users["mai"], note=stale, if_version=1)
    assert CaseNote.objects.get(pk=note.pk).text == "Lần một"
    assert note.history.count() == 2
    assert Event.objects.filter(action="casenote_changed").count() == 1


@pytest.mark.parametrize("table", ["exampleapp_casenote", "exampleapp_historicalcasenote"])
def test_the_text_is_ciphertext_in_the_database(
    world: World, lan_person: Person, table: str
) -> None:
    """ASVS 14.2.4: the note's text is unreadable at rest, history included."""
    _add(world.users["lan"], lan_person.cases.get())
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


# ---------------------------------------------------------------------------------------
# What register() wired: the timeline, the "Add…" menu, due items, the part, the pages


def test_the_timeline_shows_the_note_by_its_topic_never_its_text(
    world: World, lan_person: Person
) -> None:
    case = lan_person.cases.get()
    note = _add(world.users["lan"], case, topic=Topic.PHONE_CALL)
    for entries in (
        timeline.for_case(viewer=world.users["mai"], case=case),
        timeline.for_person(viewer=world.users["minh"], person=lan_person),
    ):
        mine = [e for e in entries if e.url == reverse("exampleapp:note_detail", args=[note.pk])]
        assert len(mine) == 1
        assert (mine[0].on, str(mine[0].title)) == (note.written_on, str(Topic.PHONE_CALL.label))
        assert SECRET not in str(mine[0].title)
    assert timeline.for_person(viewer=world.users["tuan"], person=lan_person) == []


def test_the_case_page_shows_the_entry_and_offers_the_note_in_its_add_menu(
    world: World, lan_person: Person
) -> None:
    case = lan_person.cases.get()
    _add(world.users["lan"], case, topic=Topic.PHONE_CALL)
    add_url = reverse("exampleapp:note_add", args=[case.pk])
    with translation.override("en"):
        links = timeline.add_links(viewer=world.users["lan"], case=case)
        assert ("Case note", add_url) in [(str(link.label), link.url) for link in links]
    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert add_url in page
    with translation.override("vi"):
        assert str(Topic.PHONE_CALL.label) in page
    # Read-only supervisors and closed cases offer nothing to add.
    for who in ("hoa", "lan"):
        if who == "lan":
            case.status = CaseStatus.CLOSED  # as the page would read a closed case
        links = timeline.add_links(viewer=world.users[who], case=case)
        assert add_url not in [link.url for link in links]


def test_the_next_contact_is_a_due_item_and_the_case_next_due_date(
    world: World, lan_person: Person
) -> None:
    case = lan_person.cases.get()
    lan = world.users["lan"]
    soon = timezone.localdate() + datetime.timedelta(days=3)
    note = _add(lan, case, next_contact_on=soon, responsible=lan)
    case.refresh_from_db()
    assert case.next_due_on == soon
    items = dues.due_for(viewer=lan, until=soon)
    assert [item.record for item in items if isinstance(item.record, CaseNote)] == [note]
    assert dues.due_for(viewer=world.users["mai"], until=soon) == []  # not hers


def test_the_note_belongs_to_the_notes_part(world: World, notes: dict[str, CaseNote]) -> None:
    assert access.parts._record_parts[CaseNote] == "notes"


def test_the_note_page_answers_another_communes_user_404_and_logs_the_denial(
    world: World, notes: dict[str, CaseNote]
) -> None:
    """ASVS 8.2.2, 16.2.1: minh (commune 98101) asks for a note of a case in commune 98201."""
    note = notes["b"]
    minh = world.client("minh")
    for url in (
        reverse("exampleapp:note_detail", args=[note.pk]),
        reverse("exampleapp:note_edit", args=[note.pk]),
    ):
        response = minh.get(url)
        assert response.status_code == 404
        assert "Ghi chú B" not in response.content.decode()
    denials = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["minh"])
    assert [(e.object_type, e.object_id) for e in denials] == [("casenote", str(note.pk))] * 2
    add = minh.post(reverse("exampleapp:note_add", args=[note.case_id]), {"text": "x"})
    assert add.status_code == 404
    assert CaseNote.objects.count() == 2


def _form(note: CaseNote, **overrides: str) -> dict[str, str]:
    data = {
        "written_on": note.written_on.strftime("%d/%m/%Y"),
        "topic": note.topic,
        "text": note.text or "",
        "next_contact_on": "",
        "responsible": "",
        "version": str(note.version),
    }
    return {**data, **overrides}


def test_add_and_edit_pages_save_through_the_recipe(world: World, lan_person: Person) -> None:
    case = lan_person.cases.get()
    lan = world.client("lan")
    blank = CaseNote(case=case, written_on=timezone.localdate())
    response = lan.post(
        reverse("exampleapp:note_add", args=[case.pk]), {**_form(blank), "text": SECRET}
    )
    note = CaseNote.objects.get()
    assert response["Location"] == reverse("exampleapp:note_detail", args=[note.pk])
    assert SECRET in lan.get(response["Location"]).content.decode()
    edit = reverse("exampleapp:note_edit", args=[note.pk])
    assert lan.post(edit, _form(note, text="Đã gặp gia đình")).status_code == 302
    note.refresh_from_db()
    assert (note.text, note.version) == ("Đã gặp gia đình", 2)
    assert Event.objects.filter(action="casenote_changed", actor=world.users["lan"]).count() == 1


def test_a_stale_edit_shows_the_conflict_page_and_saves_nothing(
    world: World, lan_person: Person
) -> None:
    note = _add(world.users["lan"], lan_person.cases.get())
    opened = _form(note)  # mai opens the edit page at version 1
    note.text = "Lan đã sửa"
    casenote_change(actor=world.users["lan"], note=note, if_version=1)
    edit = reverse("exampleapp:note_edit", args=[note.pk])
    response = world.client("mai").post(edit, {**opened, "topic": Topic.MEETING})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="edit-conflict"' in page
    assert "Lan đã sửa" in page  # the other person's change, listed and in the form
    note.refresh_from_db()
    assert (note.text, note.topic, note.version) == ("Lan đã sửa", Topic.HOME_VISIT, 2)
    assert not Event.objects.filter(action="casenote_changed", actor=world.users["mai"]).exists()


# ---------------------------------------------------------------------------------------
# What register() refuses


def test_a_record_directly_off_a_person_is_refused_d34() -> None:
    spec = dataclasses.replace(NOTES, model=PersonNote, name="personnote")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="D34"):
        records.register(spec)
    assert PersonNote not in [t.model for t in records.registered()]


def test_registering_a_model_twice_differently_is_refused() -> None:
    assert records.register(NOTES) is NOTES  # the same spec again: nothing happens
    with pytest.raises(ImproperlyConfigured):
        records.register(dataclasses.replace(NOTES, part="treatment"))


ROOT = Path(__file__).resolve().parent.parent
RECIPE_BLOCK = re.compile(r"<!-- recipe: (?P<path>\S+) -->\n```python\n(?P<code>.*?)```", re.S)


def test_the_recipe_in_the_docs_is_the_example_code() -> None:
    """docs/architecture.md shows the example app's code as the recipe: each block it shows
    must be in that file, word for word, so the documented recipe cannot drift from the
    one the tests run."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    blocks = list(RECIPE_BLOCK.finditer(doc))
    shown = {match["path"] for match in blocks}
    assert {"tests/exampleapp/models.py", "tests/exampleapp/records.py"} <= shown
    assert {"tests/exampleapp/actions.py", "tests/exampleapp/views.py"} <= shown
    for match in blocks:
        assert match["code"] in (ROOT / match["path"]).read_text(), match["path"]
