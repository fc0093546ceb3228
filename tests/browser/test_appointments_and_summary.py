"""Appointments and the printable case summary on a 360 px phone (issue 28 items 5 and 6,
D46): adding an appointment from the case page, the week view, and the summary as printed
(print media emulated: no menu, no buttons, only the summary)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from appointments.models import Appointment, Kind
from cases.models import Case, Person
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


def test_add_an_appointment_and_see_the_week_on_a_phone(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    case = Case.objects.get(person=lan_person)
    # Last week's appointment nobody marked: overdue on the start page.
    Appointment.objects.create(
        case=case,
        kind=Kind.POST_REHAB,
        starts_on=timezone.localdate() - datetime.timedelta(days=2),
        place="Trụ sở UBND xã",
        staff=world.users["lan"],
        created_by=world.users["lan"],
    )
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(phone, live_server.url, world.users["lan"])

    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = lan.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Lịch hẹn").click()
    lan.get_by_label("Loại lịch hẹn").select_option(label="Khám đánh giá điều trị methadone")
    lan.get_by_label("Thời điểm").fill("09:30")
    lan.get_by_label("Nơi hẹn").fill("Phòng khám Methadone A")
    _no_horizontal_scroll(lan)
    _shot(lan, "appointment-form", "phone")
    lan.get_by_role("button", name="Lưu").click()
    expect(lan.get_by_text("Đã lưu lịch hẹn.")).to_be_visible()
    added = Appointment.objects.get(kind=Kind.METHADONE_REVIEW)
    assert added.starts_on == timezone.localdate() and added.staff == world.users["lan"]

    lan.goto(f"{live_server.url}/my-work/")
    section = lan.get_by_test_id("appointments")
    expect(section).to_contain_text("Phòng khám Methadone A")
    expect(section.locator("li.overdue", has_text="Trụ sở UBND xã")).to_have_count(1)
    _no_horizontal_scroll(lan)
    _shot(lan, "appointments-start-page", "phone")

    lan.goto(f"{live_server.url}/appointments/")
    today = lan.get_by_test_id(f"day-{timezone.localdate().isoformat()}")
    expect(today).to_contain_text("Phòng khám Methadone A")
    expect(today).to_contain_text("09:30")
    _no_horizontal_scroll(lan)
    _shot(lan, "appointments-week", "phone")


def test_print_the_case_summary_on_a_phone(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    case = Case.objects.get(person=lan_person)
    Appointment.objects.create(
        case=case,
        kind=Kind.METHADONE_REVIEW,
        starts_on=timezone.localdate() - datetime.timedelta(days=1),
        place="Phòng khám Methadone A",
        staff=world.users["lan"],
        created_by=world.users["lan"],
    )
    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")  # type: ignore[arg-type]
    phone.set_default_timeout(15_000)
    lan = _sign_in_by_cookie(phone, live_server.url, world.users["lan"])
    lan.goto(f"{live_server.url}/cases/{case.pk}/")
    lan.get_by_test_id("summary-link").click()
    summary = lan.get_by_test_id("case-summary")
    expect(summary.get_by_role("heading", level=1)).to_contain_text(lan_person.full_name)
    expect(summary).to_contain_text("Khám đánh giá điều trị methadone")
    _no_horizontal_scroll(lan)
    _shot(lan, "case-summary", "phone")

    lan.emulate_media(media="print")
    expect(lan.get_by_test_id("menu")).to_be_hidden()
    expect(lan.locator("header.topbar")).to_be_hidden()
    expect(lan.locator("footer.footer")).to_be_hidden()
    expect(lan.get_by_role("link", name="Quay lại hồ sơ")).to_be_hidden()
    expect(summary.get_by_role("heading", level=1)).to_be_visible()
    _shot(lan, "case-summary-print", "phone")
    pdf = lan.pdf(format="A4")  # what "Save as PDF" gives: one page
    assert pdf.startswith(b"%PDF")
