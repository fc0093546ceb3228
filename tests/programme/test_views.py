"""The programme pages (D48): hoa supervises province 98, binh district 981, lan is a
caseworker. Records are listed, added and edited within the writer's unit subtree, each
change saved through the shared save step (history, version, one event); anything outside
answers 404 with a denial; the figures reach the dashboard and the 6-monthly report."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from audit.models import Event
from cases.events import CaseAction
from programme.models import Activity, Attendance, Course, Topic, Volunteer
from tests.conftest import World, signed_in_client

from .support import D, build

pytestmark = pytest.mark.django_db


def _course(world: World, unit: str = "d2", **fields: Any) -> Course:
    values: dict[str, Any] = {
        "title": "Tập huấn",
        "topic": Topic.objects.get(code="treatment"),
        "audience": "commune_staff",
        "organiser": "Sở",
        "unit": world.units[unit],
        "starts_on": D(2026, 3, 2),
        "ends_on": D(2026, 3, 3),
    }
    values.update(fields)
    return Course.objects.create(**values)


def _course_form(world: World, unit: str = "d1", **fields: str) -> dict[str, str]:
    data = {
        "title": "Tập huấn điều trị nghiện",
        "topic": str(Topic.objects.get(code="treatment").pk),
        "audience": "commune_staff",
        "organiser": "Sở Y tế",
        "unit": str(world.units[unit].pk),
        "place": "Hội trường",
        "starts_on": "02/03/2026",
        "ends_on": "03/03/2026",
    }
    data.update(fields)
    return data


def _events(action: str, object_id: Any) -> int:
    return Event.objects.filter(action=action, object_id=str(object_id)).count()


def test_a_supervisor_adds_and_edits_a_course_with_history_and_events(world: World) -> None:
    client = world.client("hoa")
    response = client.post(reverse("programme:course_add"), _course_form(world))
    assert response.status_code == 302
    course = Course.objects.get()
    assert course.version == 1
    assert _events("course_added", course.pk) == 1
    data = _course_form(world, title="Tập huấn (sửa)", version="1")
    response = client.post(reverse("programme:course_edit", args=[course.pk]), data)
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.version) == ("Tập huấn (sửa)", 2)
    assert _events("course_changed", course.pk) == 1
    assert [h.history_user for h in course.history.all()] == [world.users["hoa"]] * 2


def test_a_stale_edit_is_refused_and_changes_nothing(world: World) -> None:
    course = _course(world)
    client = world.client("hoa")
    url = reverse("programme:course_edit", args=[course.pk])
    assert client.post(url, _course_form(world, title="Lần một", version="1")).status_code == 302
    response = client.post(url, _course_form(world, title="Lần hai", version="1"))
    assert response.status_code == 200
    assert response.context["conflict"]
    course.refresh_from_db()
    assert course.title == "Lần một"


def test_another_units_supervisor_is_refused_with_404_and_a_denial(
    world: World, binh: User
) -> None:
    """ASVS 8.2.2, 8.3.1: binh (district 981) reaches nothing of district 982, reading or
    writing; each refusal is a 404 and a denied event naming him and the record."""
    course = _course(world, "d2")
    volunteer = Volunteer.objects.create(
        name="TNV", unit=world.units["c3"], registered_on=D(2026, 1, 1)
    )
    activity = Activity.objects.create(
        kind="session", held_on=D(2026, 3, 1), commune=world.units["c3"], organiser="UBND", male=4
    )
    client = signed_in_client(binh)
    for url in (
        reverse("programme:course_detail", args=[course.pk]),
        reverse("programme:course_edit", args=[course.pk]),
        reverse("programme:attendee_add", args=[course.pk]),
        reverse("programme:volunteer_edit", args=[volunteer.pk]),
        reverse("programme:activity_edit", args=[activity.pk]),
    ):
        object_id = url.rstrip("/").split("/")[-2 if url.endswith("edit/") else -1]
        if "attendees" in url:
            object_id = str(course.pk)
        denials = Event.objects.filter(action=CaseAction.DENIED, actor=binh)
        before = (denials.count(), denials.filter(object_id=object_id).count())
        assert client.get(url).status_code == 404, url
        after = (denials.count(), denials.filter(object_id=object_id).count())
        assert after == (before[0] + 1, before[1] + 1), url
    response = client.post(
        reverse("programme:course_edit", args=[course.pk]),
        _course_form(world, "d2", title="Sửa trộm", version="1"),
    )
    assert response.status_code == 404
    course.refresh_from_db()
    assert course.title == "Tập huấn" and course.version == 1
    # His own district's course is his to read.
    own = _course(world, "c1")
    assert client.get(reverse("programme:course_detail", args=[own.pk])).status_code == 200


def test_a_unit_outside_the_writers_area_is_refused(world: World, binh: User) -> None:
    """ASVS 8.2.2: a forged unit id (district 982) is an error on the form; nothing saved."""
    client = signed_in_client(binh)
    response = client.post(reverse("programme:course_add"), _course_form(world, "d2"))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Course.objects.exists()


def test_a_caseworker_has_no_programme_pages(world: World) -> None:
    """Least privilege: only supervisors and administrators hold programme.view/change."""
    client = world.client("lan")
    assert client.get(reverse("programme:index")).status_code == 403
    assert client.post(reverse("programme:course_add"), _course_form(world)).status_code == 403
    assert not Course.objects.exists()


def test_an_attendee_without_account_is_stored_encrypted_and_read_is_recorded(
    world: World,
) -> None:
    course = _course(world, "province")
    client = world.client("hoa")
    data = {"name": "Giàng Thị Chăm", "role": "family_caregiver", "organisation": "Gia đình"}
    response = client.post(reverse("programme:attendee_add", args=[course.pk]), data)
    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.name == "Giàng Thị Chăm"
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM programme_attendance WHERE id = %s", [attendance.pk])
        stored = cursor.fetchone()[0]
    assert "Chăm" not in stored
    assert _events("attendee_added", attendance.pk) == 1
    page = client.get(reverse("programme:course_detail", args=[course.pk]))
    assert "Giàng Thị Chăm" in page.content.decode()
    assert _events("course_read", course.pk) == 1


def test_an_attendee_needs_exactly_one_kind_and_the_input_is_kept(world: World) -> None:
    course = _course(world, "province")
    client = world.client("hoa")
    data = {
        "user": str(world.users["lan"].pk),
        "name": "Người Thứ Hai",
        "role": "staff",
        "organisation": "Phòng Y tế",
    }
    response = client.post(reverse("programme:attendee_add", args=[course.pk]), data)
    assert response.status_code == 200
    assert "Người Thứ Hai" in response.content.decode()
    assert not Attendance.objects.exists()


def test_an_attendee_is_removed_with_an_event_and_history(world: World) -> None:
    course = _course(world, "province")
    attendance = Attendance.objects.create(course=course, user=world.users["lan"], role="staff")
    client = world.client("hoa")
    url = reverse("programme:attendee_remove", args=[attendance.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"version": "1"}).status_code == 302
    assert not Attendance.objects.exists()
    assert _events("attendee_removed", attendance.pk) == 1
    assert Attendance.history.filter(id=attendance.pk, history_type="-").exists()


def test_an_activity_with_ages_not_adding_up_is_explained_and_kept(world: World) -> None:
    data = {
        "kind": "session",
        "held_on": "05/03/2026",
        "commune": str(world.units["c1"].pk),
        "organiser": "UBND xã",
        "male": "10",
        "female": "5",
        "age_0_17": "3",
        "leaflets": "250",
    }
    response = world.client("hoa").post(reverse("programme:activity_add"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="250"' in html and 'value="05/03/2026"' in html
    assert not Activity.objects.exists()


# --- the figures: dashboard and the 6-monthly report ------------------------------------------

H1 = {"period": "half", "year": "2026", "half": "1"}


def test_the_indicators_are_on_the_dashboard(world: World, settings: Any) -> None:
    settings.TRAINING_WINDOW_MONTHS = 12
    build(world)
    html = world.client("hoa").get(reverse("reports:dashboard"), H1).content.decode()
    assert 'data-testid="group-training"' in html
    assert 'data-testid="group-communication"' in html
    expected = {
        "TRAIN_STAFF_SHARE": "66,7%",
        "TRAIN_CLASSES": "3",
        "ACT_COMMUNES_REACHED": "75,0%",
        "ACT_SESSIONS": "4",
        "ACT_ATTENDEES": "30",
        "ACT_MATERIALS": "172",
        "ACT_DONE_VS_PLANNED": "71,4%",
    }
    for code, text in expected.items():
        line = re.search(rf'data-testid="line-{code}">(.*?)</tr>', html, re.S)
        assert line is not None, code
        value = re.search(r'data-testid="value">(.*?)</td>', line.group(1), re.S)
        assert value is not None, code
        assert re.sub(r"<[^>]+>", "", value.group(1)).strip() == text, (code, value.group(1))


def test_the_indicators_are_in_the_six_monthly_report(world: World, settings: Any) -> None:
    settings.TRAINING_WINDOW_MONTHS = 12
    build(world)
    params = {
        "unit": str(world.units["province"].pk),
        "format": "xlsx",
        "period_kind": "half_year",
        "year": "2026",
        "half": "1",
    }
    response = world.client("hoa").get("/figures/report/", params)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    found: dict[str, list[Any]] = {}
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        for n, row in enumerate(rows):
            if row and isinstance(row[0], str) and " — " in row[0]:
                code = row[0].split(" — ")[0]
                total = next(r for r in rows[n:] if r and str(r[0]).startswith("Tổng"))
                found[code] = [sheet.title, total[3], total[4]]
    assert found["TRAIN_STAFF_SHARE"][1:] == [4, 6]
    assert found["TRAIN_CLASSES"][1] == 3
    assert found["ACT_COMMUNES_REACHED"][1:] == [3, 4]
    assert found["ACT_SESSIONS"][1] == 4
    assert found["ACT_ATTENDEES"][1] == 30
    assert found["ACT_MATERIALS"][1] == 172
    assert found["ACT_DONE_VS_PLANNED"][1:] == [5, 7]
    # One sheet per group: training apart from communication.
    assert found["TRAIN_CLASSES"][0] == found["TRAIN_STAFF_SHARE"][0]
    assert found["ACT_SESSIONS"][0] != found["TRAIN_STAFF_SHARE"][0]


def test_each_indicator_has_its_page_and_no_people_list(world: World) -> None:
    build(world)
    client = world.client("hoa")
    for code in ("TRAIN_STAFF_SHARE", "TRAIN_CLASSES", "ACT_ATTENDEES", "ACT_DONE_VS_PLANNED"):
        params = {"code": code, "period": "year", "year": "2026"}
        page = client.get(reverse("reports:indicator"), params)
        assert page.status_code == 200, code
        assert 'data-testid="people-link"' not in page.content.decode()
    breakdown = {"code": "ACT_ATTENDEES", "period": "year", "year": "2026", "breakdown": "sex"}
    assert client.get(reverse("reports:indicator"), breakdown).status_code == 200


def test_listing_volunteers_is_recorded_without_their_names(world: World) -> None:
    Volunteer.objects.create(
        name="Lò Thị Tình", unit=world.units["c1"], registered_on=D(2026, 1, 1)
    )
    page = world.client("hoa").get(reverse("programme:index"))
    assert "Lò Thị Tình" in page.content.decode()
    listed = Event.objects.get(action="volunteers_listed")
    assert listed.actor == world.users["hoa"] and "Tình" not in str(listed.detail)
