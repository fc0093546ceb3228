"""Training and communication at 360 px (issue 29, D48): a supervisor records a course with
attendees (a staff account and a family caregiver without one) and an activity with the
materials handed out; screenshots in docs/screens/programme-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from programme.models import Activity, Attendance, Course
from tests.browser.test_everyday_use import (
    VIEWPORTS,
    _no_horizontal_scroll,
    _shot,
    _sign_in_by_cookie,
)
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_record_a_course_with_attendees_and_an_activity_with_materials(
    live_server: Any, world: World, browser: Browser
) -> None:
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    hoa = _sign_in_by_cookie(phone, live_server.url, world.users["hoa"])

    # The menu has the programme page (folded away on a phone).
    hoa.goto(f"{live_server.url}/")
    expect(hoa.locator("a[href='/programme/']").first).to_have_text("Đào tạo và truyền thông")
    hoa.goto(f"{live_server.url}/programme/")
    hoa.get_by_test_id("course-add").click()

    # A course.
    hoa.locator("#id_title").fill("Tập huấn điều trị nghiện cho cán bộ xã")
    hoa.locator("#id_topic").select_option(label="Điều trị nghiện ma túy")
    hoa.locator("#id_audience").select_option("commune_staff")
    hoa.locator("#id_organiser").fill("Sở Y tế tỉnh Kiểm Thử")
    hoa.locator("#id_unit").select_option(str(world.units["d1"].pk))
    hoa.locator("#id_place").fill("Hội trường UBND huyện")
    hoa.locator("#id_starts_on").fill("02/03/2026")
    hoa.locator("#id_ends_on").fill("03/03/2026")
    _no_horizontal_scroll(hoa)
    hoa.locator("form button[type=submit].primary").click()

    # Attendees: lan (a staff account), then a family caregiver by name.
    hoa.get_by_test_id("attendee-add").click()
    hoa.locator("#id_user").select_option(str(world.users["lan"].pk))
    hoa.locator("#id_role").select_option("staff")
    hoa.get_by_test_id("attendee-another").click()
    hoa.locator("#id_name").fill("Giàng Thị Chăm")
    hoa.locator("#id_role").select_option("family_caregiver")
    hoa.locator("#id_unit").select_option(str(world.units["c1"].pk))
    hoa.locator("#id_organisation").fill("Gia đình người cai nghiện")
    _no_horizontal_scroll(hoa)
    _shot(hoa, "programme-attendee", "phone")
    hoa.locator("form button[type=submit].primary").click()

    attendees = hoa.get_by_test_id("attendee-list")
    expect(attendees).to_contain_text("Giàng Thị Chăm")
    expect(attendees.locator("tbody tr")).to_have_count(2)
    _no_horizontal_scroll(hoa)
    _shot(hoa, "programme-course", "phone")

    # An activity with materials.
    hoa.goto(f"{live_server.url}/programme/")
    hoa.get_by_test_id("activity-add").click()
    hoa.locator("#id_kind").select_option("session")
    hoa.locator("#id_held_on").fill("15/03/2026")
    hoa.locator("#id_commune").select_option(str(world.units["c1"].pk))
    hoa.locator("#id_organiser").fill("UBND xã Một Một")
    hoa.locator("#id_male").fill("18")
    hoa.locator("#id_female").fill("22")
    hoa.locator("#id_age_18_24").fill("40")
    hoa.locator("#id_leaflets").fill("300")
    hoa.locator("#id_posters").fill("4")
    hoa.locator("#id_notes").fill("Buổi truyền thông tại nhà văn hóa thôn")
    _no_horizontal_scroll(hoa)
    _shot(hoa, "programme-activity", "phone")
    hoa.locator("form button[type=submit].primary").click()

    activities = hoa.get_by_test_id("activity-list")
    expect(activities).to_contain_text("40")
    expect(activities).to_contain_text("300")
    _no_horizontal_scroll(hoa)
    _shot(hoa, "programme-index", "phone")

    course = Course.objects.get()
    assert course.unit == world.units["d1"]
    assert Attendance.objects.filter(course=course).count() == 2
    activity = Activity.objects.get()
    assert (activity.attendees, activity.leaflets, activity.posters) == (40, 300, 4)
    phone.close()
