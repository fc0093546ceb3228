"""A supervisor adds a target to the province's plan on a 360 px phone: from the menu to the
plan, the form (a mistake first, the input kept), and the target in the plan's table.

Screenshots go to ``var/screens/`` (``make screens`` keeps the phone ones in docs/screens).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from reports.models import Target
from tests.browser.conftest import open_menu, sign_in_by_cookie
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
)
from tests.conftest import World
from tests.reports.plan_fixtures import (
    SHARE,
    indicators,  # noqa: F401 (the test indicator)
    make_plan,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("indicators"),
]


def test_a_supervisor_adds_a_target_on_a_phone(
    live_server: Any, world: World, phone_page: Page
) -> None:
    plan = make_plan(world.units["province"], issuer="UBND tỉnh Kiểm Thử")
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["hoa"])
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    open_menu(page).get_by_role("link", name="Kế hoạch và chỉ tiêu").click()
    expect(page.get_by_role("heading", name="Kế hoạch và chỉ tiêu")).to_be_visible()
    page.get_by_role("link", name="30/KH-UBND").click()
    page.get_by_test_id("target-add").click()
    _fits(page)
    page.get_by_label("Chỉ số").select_option(SHARE)
    page.get_by_label("Năm").select_option("2026")
    page.get_by_label("Giá trị").fill("120")  # a share above 100%: refused, input kept
    page.get_by_label("Mục của kế hoạch").fill("2.3")
    page.get_by_label("lớn hơn (>)").check()
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".error").first).to_be_visible()
    expect(page.get_by_label("Mục của kế hoạch")).to_have_value("2.3")
    expect(page.get_by_label("Giá trị")).to_have_value("120")
    _fits(page)
    _shot(page, "plan-target-error", "phone")
    page.get_by_label("Giá trị").fill("80")
    page.get_by_role("button", name="Lưu").click()
    table = page.get_by_test_id("targets")
    expect(table).to_contain_text("> 80%")
    expect(table).to_contain_text("2026")
    _fits(page)
    _shot(page, "plan-targets", "phone")
    target = Target.objects.get(plan=plan)
    assert (target.value, target.comparison, target.year) == (Decimal("80"), "more_than", 2026)
