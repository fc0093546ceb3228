"""Contact notes on a case (issue 28 item 3, decision D42).

Written from the case page, on the case's timeline (the kind only, never the text),
encrypted at rest, changed only by their author within the edit window
(``CONTACT_NOTE_EDIT_MINUTES``) and after that only by an addendum, which leaves the
original as written. The server decides: the refusals below are POSTs and action calls, not
hidden buttons.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import access, notes
from cases.events import CaseAction
from cases.models import Case, ContactNote, Person
from tests.conftest import World

SECRET = "Mẹ kể anh ấy đã tái sử dụng sau khi mất việc"
PRESENT = "Bà Nguyễn Thị Hoa (mẹ), cán bộ xã"


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "visit",
        "contacted_on": timezone.localdate().strftime("%d/%m/%Y"),
        "contacted_time": "09:30",
        "duration_minutes": "45",
        "present": PRESENT,
        "text": SECRET,
    }
    return data | changes


@pytest.fixture
def note(world: World, lan_person: Person) -> ContactNote:
    """Lan's note on her case, written just now through the add page."""
    url = reverse("cases:note_add", args=[_case(lan_person).pk])
    assert world.client("lan").post(url, _form()).status_code == 302
    return ContactNote.objects.get()


def _age(note: ContactNote, minutes: int) -> None:
    """Pretend the note was written ``minutes`` ago."""
    written = timezone.now() - datetime.timedelta(minutes=minutes)
    ContactNote.objects.filter(pk=note.pk).update(created_at=written)


def _denials(world: World, who: str, reason: str) -> int:
    events = Event.objects.filter(action=CaseAction.DENIED, actor=world.users[who])
    return sum(1 for event in events if (event.detail or {}).get("reason") == reason)


def test_a_note_written_from_the_case_page_is_saved_with_its_author_and_event(
    world: World, note: ContactNote
) -> None:
    assert note.author == world.users["lan"]
    assert note.text == SECRET and note.present == PRESENT
    assert note.duration_minutes == 45 and note.contacted_time == datetime.time(9, 30)
    assert Event.objects.filter(action="contactnote_added", actor=world.users["lan"]).count() == 1
    assert note.history.count() == 1


def test_the_add_menu_offers_the_note_and_the_timeline_shows_its_kind_not_its_text(
    world: World, note: ContactNote
) -> None:
    page = world.client("lan").get(reverse("cases:case_detail", args=[note.case_id]))
    html = page.content.decode()
    assert reverse("cases:note_add", args=[note.case_id]) in html
    assert reverse("cases:note_detail", args=[note.pk]) in html
    assert SECRET not in html and PRESENT not in html


def test_the_note_text_and_who_was_present_are_encrypted_at_rest(note: ContactNote) -> None:
    """ASVS 5.0 14.2.4: sensitive free text is stored encrypted (read the raw columns)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, present FROM cases_contactnote WHERE id = %s", [note.pk])
        text, present = cursor.fetchone()
        cursor.execute("SELECT text FROM cases_historicalcontactnote WHERE id = %s", [note.pk])
        (history_text,) = cursor.fetchone()
    for raw in (text, present, history_text):
        assert raw and "tái sử dụng" not in raw and "Nguyễn" not in raw and "mẹ" not in raw
    assert text != SECRET and present != PRESENT


def test_the_author_changes_the_note_within_the_window(world: World, note: ContactNote) -> None:
    url = reverse("cases:note_edit", args=[note.pk])
    client = world.client("lan")
    assert client.get(url).status_code == 200
    response = client.post(url, _form(text="Đã sửa lỗi chính tả", version=note.version))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "Đã sửa lỗi chính tả" and note.version == 2
    assert note.history.count() == 2
    assert Event.objects.filter(action="contactnote_changed", actor=world.users["lan"]).exists()


def test_after_the_window_the_author_is_refused_and_the_attempt_logged(
    world: World, note: ContactNote
) -> None:
    """ASVS 5.0 8.2.2, 8.3.1: the edit window is enforced by the server, not the page (a
    direct POST and a direct action call are refused); 16.3.2: the refusal is logged."""
    _age(note, 31)
    url = reverse("cases:note_edit", args=[note.pk])
    client = world.client("lan")
    assert client.get(url).status_code == 403
    assert client.post(url, _form(text="Viết lại", version=note.version)).status_code == 403
    stale = ContactNote.objects.get(pk=note.pk)
    stale.text = "Viết lại"
    with pytest.raises(PermissionDenied):
        notes.contactnote_change(actor=world.users["lan"], note=stale, if_version=stale.version)
    note.refresh_from_db()
    assert note.text == SECRET and note.version == 1 and note.history.count() == 1
    assert _denials(world, "lan", notes.WINDOW_CLOSED) == 3
    detail = client.get(reverse("cases:note_detail", args=[note.pk])).content.decode()
    assert url not in detail  # no "Edit" button either
    assert reverse("cases:note_addendum", args=[note.pk]) in detail


def test_the_window_is_a_setting(world: World, note: ContactNote, settings: Any) -> None:
    settings.CONTACT_NOTE_EDIT_MINUTES = 5
    _age(note, 10)
    url = reverse("cases:note_edit", args=[note.pk])
    assert world.client("lan").get(url).status_code == 403
    settings.CONTACT_NOTE_EDIT_MINUTES = 15
    assert world.client("lan").get(url).status_code == 200


def test_another_user_may_not_change_the_note_even_inside_the_window(
    world: World, note: ContactNote
) -> None:
    """ASVS 5.0 8.2.2 (a teammate who may change the case still may not rewrite another's
    note), 8.3.1 (enforced on the server), 16.3.2 (the attempt is logged)."""
    url = reverse("cases:note_edit", args=[note.pk])
    client = world.client("mai")
    assert client.get(url).status_code == 403
    assert client.post(url, _form(text="Mai viết đè", version=note.version)).status_code == 403
    theirs = ContactNote.objects.get(pk=note.pk)
    theirs.text = "Mai viết đè"
    with pytest.raises(PermissionDenied):
        notes.contactnote_change(actor=world.users["mai"], note=theirs, if_version=1)
    note.refresh_from_db()
    assert note.text == SECRET and note.version == 1
    assert _denials(world, "mai", notes.NOT_AUTHOR) == 3


def test_an_outsider_can_neither_read_nor_add_nor_change_a_note(
    world: World, note: ContactNote
) -> None:
    """ASVS 5.0 8.2.2: a caseworker of another clinic gets 404 on every URL, each logged."""
    client = world.client("tuan")
    before = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert client.get(reverse("cases:note_detail", args=[note.pk])).status_code == 404
    assert client.post(reverse("cases:note_edit", args=[note.pk]), _form()).status_code == 404
    assert client.post(reverse("cases:note_addendum", args=[note.pk]), _form()).status_code == 404
    assert client.post(reverse("cases:note_add", args=[note.case_id]), _form()).status_code == 404
    after = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert after == before + 4
    assert ContactNote.objects.count() == 1


def test_an_addendum_is_a_new_note_linked_to_the_original_which_never_changes(
    world: World, note: ContactNote
) -> None:
    _age(note, 60)
    url = reverse("cases:note_addendum", args=[note.pk])
    response = world.client("mai").post(url, _form(text="Bổ sung: gia đình đồng ý hỗ trợ"))
    assert response.status_code == 302
    addendum = ContactNote.objects.exclude(pk=note.pk).get()
    assert addendum.addendum_to_id == note.pk and addendum.author == world.users["mai"]
    assert addendum.case_id == note.case_id
    note.refresh_from_db()
    assert note.text == SECRET and note.version == 1 and note.history.count() == 1
    # An addendum to the addendum still points at the original.
    world.client("lan").post(reverse("cases:note_addendum", args=[addendum.pk]), _form(text="Thêm"))
    assert ContactNote.objects.filter(addendum_to=note).count() == 2
    page = world.client("lan").get(reverse("cases:note_detail", args=[note.pk])).content.decode()
    assert SECRET in page and "Bổ sung: gia đình đồng ý hỗ trợ" in page
    assert [n.pk for n in notes.addenda_of(viewer=world.users["lan"], note=note)] == list(
        ContactNote.objects.filter(addendum_to=note)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def test_the_add_page_offers_today_as_the_date(world: World, lan_person: Person) -> None:
    page = world.client("lan").get(reverse("cases:note_add", args=[_case(lan_person).pk]))
    assert timezone.localdate().strftime("%d/%m/%Y") in page.content.decode()


def test_a_bad_note_is_refused_with_the_input_kept(world: World, lan_person: Person) -> None:
    url = reverse("cases:note_add", args=[_case(lan_person).pk])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    response = world.client("lan").post(
        url, _form(contacted_on=tomorrow, duration_minutes="5000", text="Giữ lại chữ này")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Giữ lại chữ này" in html
    assert ContactNote.objects.count() == 0


def test_notes_are_visible_exactly_to_those_who_see_the_case(
    world: World, note: ContactNote
) -> None:
    for who in ("lan", "mai", "minh", "hoa"):
        assert access.visible(world.users[who], ContactNote).filter(pk=note.pk).exists(), who
    for who in ("tuan", "an", "quan"):
        assert not access.visible(world.users[who], ContactNote).exists(), who
