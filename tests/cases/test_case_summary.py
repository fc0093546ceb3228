"""The printable case summary (issue 28 item 6, decision D46).

One page per case, built only from what the viewer may see: who the person is only when the
identity part is theirs, records only of the parts a referral shared. Opening it is one read
event naming the person; an outsider's attempt by URL is refused and logged.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Kind
from audit.models import Event
from cases import notes
from cases.events import CaseAction
from cases.models import Case, ContactNote, Person
from cases.summary import SUMMARY_READ
from referrals import actions as referral_actions
from referrals.models import Part, State
from tests.conftest import World
from tests.referrals.support import make_consent, make_referral


@pytest.fixture
def case(world: World, lan_person: Person) -> Case:
    case = Case.objects.get(person=lan_person)
    notes.contactnote_add(
        actor=world.users["lan"],
        note=ContactNote(case=case, contacted_on=timezone.localdate(), text="Ghi chép kín"),
    )
    Appointment.objects.create(
        case=case,
        kind=Kind.POST_REHAB,
        starts_on=timezone.localdate() - datetime.timedelta(days=1),
        place="Trạm y tế",
        staff=world.users["lan"],
        created_by=world.users["lan"],
    )
    return case


def _url(case: Case) -> str:
    return reverse("cases:case_summary", args=[case.pk])


def test_the_summary_shows_identity_and_records_and_is_one_read_event(
    world: World, case: Case, lan_person: Person
) -> None:
    response = world.client("lan").get(_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    head = html.split('data-testid="case-summary"')[1].split("</header>")[0]
    assert lan_person.full_name in head
    assert lan_person.citizen_id in html
    note = ContactNote.objects.get()
    appointment = Appointment.objects.get()
    assert reverse("cases:note_detail", args=[note.pk]) in html
    assert reverse("appointments:appointment_detail", args=[appointment.pk]) in html
    assert "Ghi chép kín" not in html  # a note's kind and date, never its text
    assert "css/summary.css" in html
    assert "no-store" in response["Cache-Control"]
    events = Event.objects.filter(action=SUMMARY_READ, actor=world.users["lan"])
    assert events.count() == 1 and events.get().person_id == lan_person.pk
    # The case page links to it.
    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert _url(case) in page


def test_an_outsider_opening_the_summary_by_url_is_refused_and_logged(
    world: World, case: Case
) -> None:
    """ASVS 5.0 8.2.2 (attack by URL), 16.3.2 (the refusal is logged)."""
    before = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert world.client("tuan").get(_url(case)).status_code == 404
    after = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert after == before + 1
    assert not Event.objects.filter(action=SUMMARY_READ, actor=world.users["tuan"]).exists()


def test_a_receiver_without_identity_sees_no_name_and_only_the_shared_parts(
    world: World, case: Case, lan_person: Person
) -> None:
    """ASVS 5.0 8.2.3: a referral shared only "screenings": the summary's header and body
    show the record number, never the name, citizen ID or phone, and neither the
    appointments (treatment) nor the notes."""
    referral = make_referral(
        world, case, state=State.SENT, consent=make_consent(world, case), parts=[Part.SCREENINGS]
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    response = world.client("tuan").get(_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    for value in (lan_person.full_name, "Bình", lan_person.citizen_id, lan_person.phone):
        assert value not in html, value
    assert 'data-testid="identity-withheld"' in html
    appointment = Appointment.objects.get()
    assert reverse("appointments:appointment_detail", args=[appointment.pk]) not in html
    assert reverse("cases:note_detail", args=[ContactNote.objects.get().pk]) not in html
    event = Event.objects.filter(action=SUMMARY_READ, actor=world.users["tuan"]).get()
    assert event.person_id == lan_person.pk


def test_a_receiver_with_identity_and_treatment_sees_the_name_and_the_appointment(
    world: World, case: Case, lan_person: Person
) -> None:
    referral = make_referral(
        world,
        case,
        state=State.SENT,
        consent=make_consent(world, case),
        parts=[Part.IDENTITY, Part.TREATMENT],
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    html = world.client("tuan").get(_url(case)).content.decode()
    appointment = Appointment.objects.get()
    assert lan_person.full_name in html
    assert reverse("appointments:appointment_detail", args=[appointment.pk]) in html
    assert 'data-testid="identity-withheld"' not in html


def test_each_record_type_has_a_summary_line(world: World, case: Case) -> None:
    """One line per record type: how many are recorded (beyond the five listed), from when
    to when, and how many are planned (overdue among them); a type with only planned rows
    (a scheduled appointment, after the fixture's overdue one) still has its line."""
    lan = world.users["lan"]
    today = timezone.localdate()
    for days in range(1, 7):  # six more notes: seven in all, five of them listed
        notes.contactnote_add(
            actor=lan,
            note=ContactNote(
                case=case, contacted_on=today - datetime.timedelta(days=days), text="Thăm"
            ),
        )
    Appointment.objects.create(
        case=case,
        kind=Kind.POST_REHAB,
        starts_on=today + datetime.timedelta(days=3),
        place="Trạm y tế",
        staff=lan,
        created_by=lan,
    )
    html = world.client("lan").get(_url(case)).content.decode()
    lines = {
        chunk.split('data-kind="')[1].split('"')[0]: chunk
        for chunk in html.split('data-testid="summary-line"')[1:]
    }
    note_line = lines["Ghi chép tiếp xúc"]
    assert 'data-total="7"' in note_line and 'data-planned="0"' in note_line
    first = (today - datetime.timedelta(days=6)).strftime("%d/%m/%Y")
    assert first in note_line.split("</p>")[0] and today.strftime("%d/%m/%Y") in note_line
    meeting_line = lines["Lịch hẹn"]
    assert 'data-total="0"' in meeting_line and 'data-planned="2"' in meeting_line
    assert 'data-overdue="1"' in meeting_line
