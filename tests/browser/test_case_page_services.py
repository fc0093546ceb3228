"""The case page as a place to work, on a 360 px phone and a desktop: the "Add…" menu, a
planned service entered wrongly then rightly, the timeline, the start page's due list and
the case list's overdue filter (no page scrolls sideways)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from cases.models import Case, Person
from services.models import ServiceRecord
from tests.browser.test_everyday_use import (  # noqa: F401
    _no_horizontal_scroll,
    _shot,
    _sign_in_by_cookie,
    context,
    town,
    viewport,
)
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_plan_a_service_from_the_case_page_and_find_it_due(
    live_server: Any,
    town: World,  # noqa: F811
    lan_person: Person,
    context: BrowserContext,  # noqa: F811
    viewport: str,  # noqa: F811
) -> None:
    case = Case.objects.get(person=lan_person)
    page = _sign_in_by_cookie(context, live_server.url, town.users["lan"])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    menu = page.get_by_test_id("add-menu")
    menu.get_by_text("Thêm…").click()
    menu.get_by_role("link", name="Dịch vụ").click()
    page.get_by_label("Dịch vụ", exact=False).first.select_option(label="Tư vấn")
    page.get_by_label("Hạn thực hiện").fill("31/02/2026")  # no such day
    page.get_by_label("Ghi chú").fill("Hẹn gặp tại trạm y tế")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(page.get_by_label("Ghi chú")).to_have_value("Hẹn gặp tại trạm y tế")
    _no_horizontal_scroll(page)
    _shot(page, "service-form-error", viewport)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("Hạn thực hiện").fill(yesterday.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Lưu").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_role("link", name="Dịch vụ: Tư vấn")).to_be_visible()
    expect(timeline.get_by_text("quá hạn")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "case-page-timeline", viewport)
    assert ServiceRecord.objects.get(case=case).responsible == town.users["lan"]

    page.goto(f"{live_server.url}/my-work/")
    due = page.get_by_test_id("due")
    expect(due.get_by_role("link", name="Tư vấn")).to_be_visible()
    _no_horizontal_scroll(page)
    due.get_by_role("link", name="Hồ sơ vụ việc của tôi có việc quá hạn").click()
    expect(page.get_by_test_id("total")).to_have_text("1 hồ sơ vụ việc")
    _no_horizontal_scroll(page)
    _shot(page, "list-cases-overdue", viewport)
