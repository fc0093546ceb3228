"""The auditor's pages: filters, who saw whom, unusual activity and exports (themselves events).

Only the auditor (an) reaches them (the matrix checks the other roles); auditors see record
ids, never names.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from accounts.models import User
from audit import context
from audit.choices import AuditAction
from audit.models import Event
from audit.selectors import unusual_activity
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World


@contextmanager
def context_bound_user(user: User) -> Iterator[None]:
    """Act as ``user`` for events recorded without an explicit actor (as in a request)."""
    request = RequestFactory().get("/")
    request.user = user
    with context.bound(context.RequestContext(request=request)):
        yield


def _event_at(at: datetime, **fields: object) -> Event:
    """Append an event with a chosen time (test data for the activity flags)."""
    event = Event(id=uuid.uuid4(), at=at, **fields)
    event.reason = ""
    event.save()  # numbered by the database; chained when sequenced, like any event
    return event


def _actions_listed(response: Any) -> list[str]:
    """Return the action codes of the events the page listed."""
    return [event.action for event in response.context["page"].object_list]


def _read(world: World, who: str, person: Person) -> None:
    world.client(who).get(reverse("cases:person_detail", args=[person.pk]))


def test_who_saw_this_person(world: World, lan_person: Person, tuan_person: Person) -> None:
    _read(world, "lan", lan_person)
    _read(world, "minh", lan_person)
    _read(world, "tuan", tuan_person)
    page = world.client("an").get(
        reverse("audit:event_list"), {"person": str(lan_person.pk), "action": "reads"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "lan" in html and "minh" in html
    assert ">tuan<" not in html
    assert "Trần Thị Bình" not in html  # record ids, never names
    assert str(lan_person.pk)[:8].upper() in html


def test_what_did_this_user_see(world: World, lan_person: Person, tuan_person: Person) -> None:
    _read(world, "tuan", tuan_person)
    _read(world, "tuan", lan_person)  # refused: a denial, not a read
    page = world.client("an").get(reverse("audit:event_list"), {"user": "tuan", "action": "reads"})
    rows = page.content.decode().count("<tr>") - 1
    assert rows == 1
    denials = world.client("an").get(reverse("audit:event_list"), {"action": "denied"})
    assert str(lan_person.pk)[:8] in denials.content.decode()


def test_date_range_filter(world: World, lan_person: Person) -> None:
    _read(world, "lan", lan_person)
    today = timezone.localdate()
    client = world.client("an")
    day = today.isoformat()
    hit = client.get(reverse("audit:event_list"), {"since": day, "until": day})
    assert "person_read" in _actions_listed(hit)
    yesterday = (today - timedelta(days=1)).isoformat()
    miss = client.get(reverse("audit:event_list"), {"until": yesterday})
    assert "person_read" not in _actions_listed(miss)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_an_event_and_holds_no_names(world: World, lan_person: Person, fmt: str) -> None:
    _read(world, "lan", lan_person)
    response = world.client("an").get(reverse("audit:event_export", args=[fmt]), {"user": "lan"})
    assert response.status_code == 200
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        table = [[str(c or "") for c in row] for row in sheet.iter_rows(values_only=True)]
    header, rows = table[0], table[1:]
    # Vietnamese headers and action names, the action code kept beside them.
    with translation.override("vi"):
        expected = ["No.", "Time", "User", "Organisation", "Action", "Action code"]
        assert header[:6] == [gettext(name) for name in expected]
        read_label = gettext("Viewed a person")
    assert read_label == "Xem hồ sơ người"
    assert {row[2] for row in rows} == {"lan"}
    assert any(
        row[4] == read_label and row[5] == "person_read" and row[8] == str(lan_person.pk)
        for row in rows
    )
    assert "Trần Thị Bình" not in repr(table)
    export = Event.objects.get(action=AuditAction.EXPORT)
    assert export.actor == world.users["an"]
    assert export.detail["format"] == fmt
    assert export.detail["rows"] == len(rows)
    assert export.detail["filters"] == {"user": "lan"}


def test_export_cells_never_run_as_formulas(world: World) -> None:
    """ASVS 1.2.10: CSV injection through a user agent is neutralised."""
    world.client("lan").get(reverse("cases:case_list"), HTTP_USER_AGENT="=HYPERLINK(1)")
    world.client("lan").post(
        reverse("cases:person_search"), {"kind": "name", "q": "Ai"}, HTTP_USER_AGENT="=cmd|1"
    )
    body = world.client("an").get(reverse("audit:event_export", args=["csv"])).content
    assert b",=cmd" not in body and b",'=cmd|1" in body


def test_unusual_activity_flags(world: World) -> None:
    lan, tuan, hoa = world.users["lan"], world.users["tuan"], world.users["hoa"]
    today = timezone.localdate()
    # The latest weekday noon that has passed: inside working hours whatever day tests run.
    noon = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=12)
    while noon > timezone.now() or timezone.localtime(noon).isoweekday() >= 6:
        noon -= timedelta(days=1)
    # lan usually reads 2 records a day; today, 30.
    for day in range(8, 30):
        for _ in range(2):
            _event_at(noon - timedelta(days=day), actor=lan, action=CaseAction.PERSON_READ)
    for _ in range(30):
        _event_at(noon, actor=lan, action=CaseAction.PERSON_READ)
    # tuan reads at 23:00 on a weekday; hoa collects six denials in a day.
    late = noon + timedelta(hours=11)
    while timezone.localtime(late).isoweekday() >= 6 or late > timezone.now():
        late -= timedelta(days=1)
    _event_at(late, actor=tuan, action=CaseAction.CASE_READ)
    for _ in range(6):
        _event_at(noon, actor=hoa, action=CaseAction.DENIED)
    flags = {(f.username, f.kind): f for f in unusual_activity(viewer=world.users["an"])}
    assert flags[("lan", "volume")].count == 30
    assert flags[("lan", "volume")].usual == pytest.approx(44 / 30)
    assert flags[("tuan", "off_hours")].count == 1
    assert flags[("hoa", "denials")].count == 6
    assert ("lan", "off_hours") not in flags
    assert unusual_activity(viewer=world.users["hoa"]) == []
    page = world.client("an").get(reverse("audit:unusual_activity"))
    shown = unusual_activity(viewer=world.users["an"])
    assert page.content.decode().count('data-flag="') == len(shown)


def test_lists_and_searches_count_in_who_saw_this_person(world: World, lan_person: Person) -> None:
    """A name shown in a list or search result is a sighting too."""
    world.client("hoa").get(reverse("cases:case_list"))
    world.client("minh").post(
        reverse("cases:person_search"), {"kind": "citizen_id", "q": "010191000123"}
    )
    listed = Event.objects.get(action=CaseAction.CASE_LIST)
    assert listed.detail["people"] == [str(lan_person.pk)]
    page = world.client("an").get(reverse("audit:event_list"), {"person": str(lan_person.pk)})
    html = page.content.decode()
    assert "hoa" in html and "minh" in html
    listed_actions = _actions_listed(page)
    assert listed_actions.count("search") == 1 and listed_actions.count("case_list") == 1


def test_password_and_second_factor_reset_of_another_user_is_flagged(world: World) -> None:
    from accounts.actions import password_set, second_factor_reset

    quan, lan = world.users["quan"], world.users["lan"]
    password_set(actor=quan, user=lan, password="another-long-passphrase-2026")
    second_factor_reset(actor=quan, user=lan)
    flags = [f for f in unusual_activity(viewer=world.users["an"]) if f.kind == "account_reset"]
    assert [(f.username, f.count) for f in flags] == [("quan", 1)]


def test_tab_led_cells_are_neutralised_too(world: World) -> None:
    world.client("lan").post(
        reverse("cases:person_search"), {"kind": "name", "q": "Ai"}, HTTP_USER_AGENT="\t=cmd|1"
    )
    body = world.client("an").get(reverse("audit:event_export", args=["csv"])).content
    assert b",'\t=cmd|1" in body


@pytest.mark.parametrize("code", ["short", "short_lower", "full"])
def test_who_saw_this_person_by_record_code(
    world: World, lan_person: Person, tuan_person: Person, code: str
) -> None:
    """The 8-character record code shown on every page finds the person, as the full id does."""
    _read(world, "lan", lan_person)
    _read(world, "tuan", tuan_person)
    world.client("hoa").get(reverse("cases:case_list"))  # a list that showed lan_person
    value = {
        "short": lan_person.short_id,
        "short_lower": lan_person.short_id.lower(),
        "full": str(lan_person.pk),
    }[code]
    page = world.client("an").get(reverse("audit:event_list"), {"person": value})
    assert page.status_code == 200
    assert page.context["form"].errors == {}
    events = list(page.context["page"].object_list)
    assert {e.actor.username for e in events if e.actor} == {"lan", "hoa"}
    assert "case_list" in [e.action for e in events]
    assert all(e.person_id in (lan_person.pk, None) for e in events)


@pytest.mark.parametrize(
    "bad", [{"person": "3F90"}, {"person": "not-an-id"}, {"since": "32/13/2026"}]
)
def test_an_invalid_filter_shows_the_error_and_no_rows(
    world: World, lan_person: Person, bad: dict[str, str]
) -> None:
    """Issue 11 item 16: never the unfiltered list under a filter the auditor did not mean."""
    _read(world, "lan", lan_person)
    page = world.client("an").get(reverse("audit:event_list"), bad)
    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["page"] is None
    html = page.content.decode()
    assert 'data-testid="no-rows"' in html and 'data-testid="error-summary"' in html
    assert "<tbody>" not in html
    with translation.override("vi"):
        assert "Enter a valid UUID." not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_invalid_filter_exports_nothing(world: World, lan_person: Person, fmt: str) -> None:
    """Issue 11 item 16: an export under an invalid filter writes no file and no export event."""
    _read(world, "lan", lan_person)
    response = world.client("an").get(reverse("audit:event_export", args=[fmt]), {"person": "zzzz"})
    assert response.status_code == 400
    assert "attachment" not in response.get("Content-Disposition", "")
    assert not Event.objects.filter(action=AuditAction.EXPORT).exists()


def test_xlsx_cells_are_typed(world: World, lan_person: Person) -> None:
    """Numbers are numbers and times are dates, so a spreadsheet sorts them."""
    _read(world, "lan", lan_person)
    response = world.client("an").get(reverse("audit:event_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    assert isinstance(first[0].value, int)
    assert isinstance(first[1].value, datetime)
    assert first[1].number_format == "dd/mm/yyyy hh:mm:ss"
