"""Journey on a 360 px phone: the commune officer records a post-rehab check-in (issue 23,
item 12). The case page shows what happened apart from the planned check-ins, and the visit is
recorded on a form of its own fields only (date and how it went), never the plan's.

Screenshots go to ``var/screens/`` (``make screens`` writes them to ``docs/screens/``).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case, Person
from services.models import FollowUp
from services.models.followup import years_after
from tests.browser.conftest import sign_in_by_cookie
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]


def _shot(page: Page, name: str) -> None:
    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _open_period(world: World, case: Case) -> None:
    start = timezone.localdate() - datetime.timedelta(days=40)
    response = world.client("lan").post(
        reverse("services:record_add", args=[case.pk, "post-rehab"]),
        {
            "officer": world.users["minh"].pk,
            "started_on": f"{start:%d/%m/%Y}",
            "planned_end_on": f"{years_after(start, 1):%d/%m/%Y}",
            "outcome": "ongoing",
        },
    )
    assert response.status_code == 302


def test_the_officer_records_a_checkin_on_a_phone(
    live_server: Any, world: World, lan_person: Person, phone_page: Page
) -> None:
    case = Case.objects.get(person=lan_person)
    _open_period(world, case)
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["minh"])
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    timeline = page.get_by_test_id("timeline")
    planned = page.get_by_test_id("planned")
    # What happened: the period opened. The twelve check-ins are planned, not on the timeline.
    expect(timeline.locator("li")).to_have_count(1)
    expect(timeline).to_contain_text("Quản lý sau cai nghiện")
    expect(planned.get_by_role("heading")).to_contain_text("(12)")
    expect(planned.locator("li:visible")).to_have_count(3)
    expect(planned.locator("li").first).to_contain_text("quá hạn")
    _shot(page, "postrehab-case-planned")

    planned.get_by_role("link").first.click()
    page.get_by_role("link", name="Ghi nhận buổi gặp").click()
    form = page.locator("main form")
    # Only the visit's own fields: no due date, no officer to change by accident.
    expect(form.get_by_label("Ngày gặp")).to_have_value(f"{timezone.localdate():%d/%m/%Y}")
    expect(form.get_by_label("Hạn thực hiện")).to_have_count(0)
    expect(form.get_by_label("Cán bộ phụ trách")).to_have_count(0)
    form.get_by_role("button", name="Lưu buổi gặp").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()  # how it went is required
    page.get_by_label("Kết quả buổi gặp").fill("Gặp tại nhà, đang đi làm")
    _shot(page, "postrehab-record-visit")
    page.get_by_role("button", name="Lưu buổi gặp").click()

    expect(page.get_by_role("status")).to_contain_text("Đã ghi nhận buổi gặp.")
    expect(timeline.locator("li")).to_have_count(2)
    expect(timeline.locator("li").first).to_contain_text("Đã thực hiện")
    expect(planned.get_by_role("heading")).to_contain_text("(11)")
    _shot(page, "postrehab-visit-recorded")
    done = FollowUp.objects.exclude(done_on=None).get()
    assert done.responsible_id == world.users["minh"].pk and done.due_on is not None
