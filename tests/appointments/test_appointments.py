"""Appointments on a case and the calendar (issue 28 item 5, decision D46).

Added through the one recipe (scoped by the case, versioned, history, events, the timeline
and the "Add…" menu), shared by a referral only with "treatment", listed on the start page
for the next 30 days with overdue ones flagged, on a day/week calendar of a staff member and
of an organisation, and exported as a calendar file that names nobody.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from appointments import actions, ics
from appointments.models import Appointment, Kind, Status
from appointments.records import APPOINTMENTS, EXPORTED, LISTED
from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import Case, Person
from referrals import actions as referral_actions
from referrals.models import Part, State
from tests.conftest import World
from tests.referrals.support import make_consent, make_referral

PLACE = "Trạm y tế xã Một Một"


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": Kind.METHADONE_REVIEW,
        "starts_on": _in_days(3).strftime("%d/%m/%Y"),
        "starts_at": "09:30",
        "duration_minutes": "30",
        "place": PLACE,
        "staff": str(world.users["lan"].pk),
    }
    return data | changes


def _make(world: World, case: Case, *, days: int = 3, who: str = "lan", **fields: Any) -> Any:
    values = {
        "kind": Kind.METHADONE_REVIEW,
        "starts_on": _in_days(days),
        "starts_at": datetime.time(9, 30),
        "place": PLACE,
        "staff": world.users[who],
        "created_by": world.users[who],
    } | fields
    return Appointment.objects.create(case=case, **values)


def _denied(world: World, who: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=world.users[who]).count()


@pytest.fixture
def case(world: World, lan_person: Person) -> Case:
    return _case(lan_person)


def test_an_appointment_added_from_the_case_page_is_versioned_and_recorded(
    world: World, case: Case
) -> None:
    client = world.client("lan")
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("appointments:appointment_add", args=[case.pk]) in page  # "Add…" menu
    url = reverse("appointments:appointment_add", args=[case.pk])
    assert client.post(url, _form(world)).status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.created_by == world.users["lan"] and appointment.place == PLACE
    assert appointment.starts_at == datetime.time(9, 30) and appointment.history.count() == 1
    assert Event.objects.filter(action=APPOINTMENTS.added_action, actor=world.users["lan"]).exists()
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("appointments:appointment_detail", args=[appointment.pk]) in page
    edit = reverse("appointments:appointment_edit", args=[appointment.pk])
    changed = _form(world, status=Status.DONE, version=appointment.version)
    assert client.post(edit, changed).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.DONE and appointment.version == 2
    assert appointment.history.count() == 2
    assert Event.objects.filter(action=APPOINTMENTS.changed_action).count() == 1


def test_the_staff_member_must_be_of_the_writers_organisation(world: World, case: Case) -> None:
    """ASVS 5.0 8.2.2: a forged staff id (a caseworker of another clinic) is refused."""
    url = reverse("appointments:appointment_add", args=[case.pk])
    forged = _form(world, staff=str(world.users["tuan"].pk), place="Giữ lại nơi này")
    response = world.client("lan").post(url, forged)
    assert response.status_code == 200 and "Giữ lại nơi này" in response.content.decode()
    assert not Appointment.objects.exists()
    # The action checks again, whatever the form offered.
    with pytest.raises(ValidationError):
        actions.appointment_add(
            actor=world.users["lan"],
            appointment=Appointment(
                case=case, starts_on=_in_days(1), place=PLACE, staff=world.users["tuan"]
            ),
        )
    assert not Appointment.objects.exists()


def test_an_outsider_can_neither_read_nor_add_nor_change_an_appointment(
    world: World, case: Case
) -> None:
    """ASVS 5.0 8.2.2 (attack by URL): a caseworker of another clinic gets 404 on every URL;
    16.3.2: each attempt is logged as a denial; the row is unchanged."""
    appointment = _make(world, case)
    client = world.client("tuan")
    before = _denied(world, "tuan")
    assert (
        client.get(reverse("appointments:appointment_detail", args=[appointment.pk])).status_code
        == 404
    )
    edit = reverse("appointments:appointment_edit", args=[appointment.pk])
    forged = _form(world, place="Nơi khác", version=1)
    assert client.post(edit, forged).status_code == 404
    add = reverse("appointments:appointment_add", args=[case.pk])
    assert client.post(add, _form(world)).status_code == 404
    assert _denied(world, "tuan") == before + 3
    appointment.refresh_from_db()
    assert appointment.place == PLACE and appointment.version == 1
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(("parts", "opens"), [([Part.SCREENINGS], False), ([Part.TREATMENT], True)])
def test_a_referral_receiver_reads_appointments_only_when_treatment_is_shared(
    world: World, case: Case, parts: list[str], opens: bool
) -> None:
    """ASVS 5.0 8.2.3 (attack by URL): a receiver without "treatment" opens the appointment
    by its URL: 404 and a denial event."""
    appointment = _make(world, case)
    referral = make_referral(
        world, case, state=State.SENT, consent=make_consent(world, case), parts=parts
    )
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )
    before = _denied(world, "tuan")
    url = reverse("appointments:appointment_detail", args=[appointment.pk])
    response = world.client("tuan").get(url)
    assert response.status_code == (200 if opens else 404)
    assert _denied(world, "tuan") == before + (0 if opens else 1)
    assert access.visible(world.users["tuan"], Appointment).exists() is opens


def test_the_overdue_flag(world: World, case: Case) -> None:
    past = _make(world, case, days=-2)
    done = _make(world, case, days=-2, status=Status.DONE)
    missed = _make(world, case, days=-2, status=Status.MISSED)
    coming = _make(world, case, days=2)
    earlier_today = _make(world, case, days=0, starts_at=None)  # all day: not yet overdue
    assert past.is_overdue
    assert not (done.is_overdue or missed.is_overdue or coming.is_overdue)
    assert not earlier_today.is_overdue
    page = world.client("lan").get(reverse("appointments:appointment_detail", args=[past.pk]))
    assert 'data-testid="overdue"' in page.content.decode()
    page = world.client("lan").get(reverse("appointments:appointment_detail", args=[done.pk]))
    assert 'data-testid="overdue"' not in page.content.decode()


def test_the_start_page_lists_my_next_30_days_with_overdue_ones_flagged(
    world: World, case: Case
) -> None:
    soon = _make(world, case, days=10, place="Phòng khám A")
    overdue = _make(world, case, days=-3, place="Trụ sở UBND xã")
    _make(world, case, days=40, place="Quá xa")
    _make(world, case, days=5, who="mai", place="Của chị Mai")
    _make(world, case, days=5, status=Status.CANCELLED, place="Đã huỷ")
    page = world.client("lan").get(reverse("cases:my_work")).content.decode()
    section = page.split('data-testid="appointments"')[1].split("</section>")[0]
    assert reverse("appointments:appointment_detail", args=[soon.pk]) in section
    assert reverse("appointments:appointment_detail", args=[overdue.pk]) in section
    for absent in ("Quá xa", "Của chị Mai", "Đã huỷ"):
        assert absent not in section
    assert section.count('data-testid="overdue"') == 1
    assert section.index("Trụ sở UBND xã") < section.index("Phòng khám A")  # earliest first
    event = Event.objects.filter(action=LISTED, actor=world.users["lan"]).latest("pk")
    assert event.detail["people"] == [str(case.person_id)]


def test_an_empty_appointments_section_records_no_read(world: World, case: Case) -> None:
    """A start page whose appointments section shows nobody reads nobody: no listing event
    (the start page's own list is still recorded). Regression: every start page wrote an
    empty appointments event, one more per visit than the load benchmark counts."""
    client = world.client("lan")
    client.get(reverse("cases:my_work"))
    assert not Event.objects.filter(action=LISTED, actor=world.users["lan"]).exists()
    _make(world, case, days=2, place="Phòng khám A")
    client.get(reverse("cases:my_work"))
    [event] = Event.objects.filter(action=LISTED, actor=world.users["lan"])
    assert event.detail["people"] == [str(case.person_id)]


def test_the_week_view_of_a_staff_member_and_of_an_organisation(
    world: World, case: Case, tuan_person: Person
) -> None:
    mine = _make(world, case, days=0, place="Của tôi")
    teammate = _make(world, case, days=0, who="mai", place="Của đồng nghiệp")
    _make(world, _case(tuan_person), days=0, who="tuan", place="Phòng khám B")
    # On lan's case, which she sees, with the commune officer: not of her organisation.
    _make(world, case, days=0, who="minh", place="Của xã")
    url = reverse("appointments:calendar")
    client = world.client("lan")
    me = client.get(url).content.decode()
    assert "Của tôi" in me and "Của đồng nghiệp" not in me
    org = client.get(url, {"who": "org"}).content.decode()
    assert "Của tôi" in org and "Của đồng nghiệp" in org
    assert "Phòng khám B" not in org and "Của xã" not in org
    day = client.get(url, {"view": "day", "day": _in_days(1).isoformat()}).content.decode()
    assert "Của tôi" not in day
    for row in (mine, teammate):
        assert reverse("appointments:appointment_detail", args=[row.pk]) in org
    # A forged parameter falls back to the viewer's own appointments.
    assert "Của đồng nghiệp" not in client.get(url, {"who": "all"}).content.decode()


def test_a_role_without_a_calendar_is_refused_and_logged(world: World) -> None:
    """ASVS 5.0 8.2.1: the auditor has no calendar; 16.3.2: the refusal is an event."""
    before = _denied(world, "an")
    for name in ("appointments:calendar", "appointments:calendar_file"):
        assert world.client("an").get(reverse(name)).status_code == 403
    assert _denied(world, "an") == before + 2


def test_the_calendar_file_names_nobody(world: World, case: Case, lan_person: Person) -> None:
    """ASVS 5.0 14.2.6 (minimum data leaves the system): a calendar file synced to a phone's
    calendar says "Lịch hẹn", when, where and a link id; never the name, citizen ID, phone,
    the kind of appointment (methadone) or the case's category."""
    hearing = _make(world, case, days=4, kind=Kind.HEARING, place="Toà án huyện, phòng 2; tầng 1")
    review = _make(world, case, days=5, kind=Kind.METHADONE_REVIEW, starts_at=None)
    _make(world, case, days=6, who="mai", place="Không phải của tôi")
    response = world.client("lan").get(reverse("appointments:calendar_file"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content
    text = body.decode()
    unfolded = text.replace("\r\n ", "")
    identifying = [
        lan_person.full_name,
        "Bình",
        lan_person.citizen_id,
        lan_person.phone,
        str(case.person_id),
        str(case.pk),
        case.get_category_display(),
        "ethadone",
        "Methadone",
        "methadone",
        "cai nghiện",
        "ma tuý",
        "Court",
        "hearing",
        str(Kind.HEARING.label),
        str(Kind.METHADONE_REVIEW.label),
    ]
    for value in identifying:
        assert value and value not in unfolded, value
    assert unfolded.count("BEGIN:VEVENT") == 2 and "Không phải của tôi" not in unfolded
    assert unfolded.count("SUMMARY:Lịch hẹn") == 2
    assert "LOCATION:Toà án huyện\\, phòng 2\\; tầng 1" in unfolded  # escaped (RFC 5545)
    assert f"UID:{hearing.pk}@hoa-nhap" in unfolded
    assert reverse("appointments:appointment_detail", args=[review.pk]) in unfolded
    assert f"DTSTART;VALUE=DATE:{review.starts_on:%Y%m%d}" in unfolded
    lines = body.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR"
    assert all(len(line) <= 75 for line in lines)
    event = Event.objects.filter(action=EXPORTED, actor=world.users["lan"]).get()
    assert event.person_id is None and event.detail["appointments"] == 2


def test_long_lines_are_folded_without_breaking_a_character(world: World, case: Case) -> None:
    row = _make(world, case, place="Nhà văn hoá thôn Đông, " * 6)
    body = ics.calendar_file([(row, "https://example.test/a/")])
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert body.decode().replace("\r\n ", "").count("Nhà văn hoá thôn Đông") == 6
