"""Journeys of staff administration on a 360 px phone and a 1366 px desktop: the one form that
creates a staff member (first with a mistake), the staff list with an unlock, and the
approvals page a second administrator uses.

Screenshots go where the other journeys put theirs (``var/screens/``; the phone ones to
``docs/screens/`` under ``make screens``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import BrowserContext, expect

from accounts.models import User
from cases.choices import Role
from cases.models import RoleChangeRequest, StaffProfile
from cases.roles import staff_profile_save
from tests.accounts.support import password_login
from tests.browser import test_everyday_use as everyday
from tests.browser.conftest import open_menu
from tests.browser.test_everyday_use import _no_horizontal_scroll, _shot, _sign_in_by_cookie
from tests.conftest import World
from tests.factories import PASSWORD, make_user

# The same viewports, browser context and pending Vietnamese strings as the everyday journeys.
context, viewport = everyday.context, everyday.viewport
_pending_translations = everyday._pending_translations
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_create_a_staff_member_with_a_mistake_first(
    live_server: Any,
    world: World,
    context: BrowserContext,
    viewport: str,
) -> None:
    page = _sign_in_by_cookie(context, live_server.url, world.users["quan"])
    page.goto(f"{live_server.url}/")
    open_menu(page).get_by_role("link", name="Cán bộ").click()
    page.get_by_test_id("staff-add").click()
    page.locator("#id_username").fill("LAN")  # taken (by lan): the mistake
    page.locator("#id_full_name").fill("Nguyễn Văn Thành")
    page.locator("#id_email").fill("thanh@example.vn")
    page.locator("#id_organisation").select_option(label="Methadone A")
    page.locator("#id_role").select_option(Role.CASEWORKER)
    page.locator("#id_scope_unit").select_option(str(world.units["d1"].pk))
    page.get_by_role("button", name="Tạo").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_username")
    expect(page.locator("#id_full_name")).to_have_value("Nguyễn Văn Thành")
    expect(page.locator("#id_email")).to_have_value("thanh@example.vn")
    expect(page.locator("#id_scope_unit")).to_have_value(str(world.units["d1"].pk))
    _no_horizontal_scroll(page)
    _shot(page, "staff-form-errors", viewport)

    page.locator("#id_username").fill("thanh")
    page.get_by_role("button", name="Tạo").click()
    expect(page.get_by_test_id("pending-note")).to_be_visible()
    expect(page.get_by_test_id("invitation-link")).to_contain_text("/staff/welcome/")
    _no_horizontal_scroll(page)
    _shot(page, "staff-created", viewport)
    assert RoleChangeRequest.objects.filter(user__username="thanh").count() == 1


def test_staff_list_as_cards_and_unlock(
    live_server: Any,
    world: World,
    context: BrowserContext,
    viewport: str,
) -> None:
    for n in range(5):
        password_login(Client(), "tuan", f"wrong-password-{n}")
    newcomer = make_user("moi", first_name="Hà Thị", last_name="Mới")
    staff_profile_save(
        actor=world.users["quan"],
        profile=StaffProfile(
            user=newcomer,
            organisation=world.orgs["clinic_a"],
            role=Role.CASEWORKER,
            scope_unit=world.units["d1"],
        ),
    )
    page = _sign_in_by_cookie(context, live_server.url, world.users["quan"])
    page.goto(f"{live_server.url}/staff/")
    rows = page.get_by_test_id("staff-row")
    expect(rows.filter(has_text="moi").get_by_test_id("pending")).to_be_visible()
    tuan = rows.filter(has_text="tuan")
    expect(tuan.get_by_test_id("locked")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "list-staff", viewport)

    tuan.get_by_role("button", name="Mở khóa…").click()
    expect(page.get_by_role("heading", name="Mở khóa tài khoản")).to_be_visible()
    _no_horizontal_scroll(page)
    page.get_by_role("button", name="Mở khóa", exact=True).click()
    expect(page.get_by_text("Đã mở khóa tài khoản.")).to_be_visible()
    expect(page.get_by_test_id("locked")).to_have_count(0)
    assert password_login(Client(), "tuan", PASSWORD).status_code == 302


def test_a_second_administrator_approves(
    live_server: Any,
    world: World,
    context: BrowserContext,
    viewport: str,
) -> None:
    second = make_user("thu", first_name="Lê Thị", last_name="Thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=second,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    newcomer = make_user("moi", first_name="Hà Thị Nguyệt", last_name="Ánh")
    staff_profile_save(
        actor=world.users["quan"],
        profile=StaffProfile(
            user=newcomer,
            organisation=world.orgs["commune_x"],
            role=Role.COMMUNE_OFFICER,
            scope_unit=world.units["c1"],
        ),
    )
    wider = StaffProfile.objects.get(user=world.users["lan"])
    wider.scope_unit = world.units["province"]
    staff_profile_save(actor=world.users["quan"], profile=wider)
    page = _sign_in_by_cookie(context, live_server.url, second)
    page.goto(f"{live_server.url}/staff/changes/")
    expect(page.get_by_test_id("role-request")).to_have_count(2)
    widening = page.get_by_test_id("role-request").filter(has_text="(lan)")
    expect(widening.get_by_test_id("current")).to_contain_text("Huyện Một")
    expect(widening.get_by_test_id("proposed")).to_contain_text("Tỉnh Kiểm Thử")
    card = page.get_by_test_id("role-request").filter(has_text="Hà Thị Nguyệt Ánh")
    expect(card.get_by_test_id("current")).to_contain_text("tài khoản mới")
    _no_horizontal_scroll(page)
    box = card.get_by_role("button", name="Duyệt").bounding_box()
    assert box is not None and box["height"] >= 44
    _shot(page, "list-role-requests", viewport)
    card.get_by_role("checkbox").check()
    card.get_by_role("button", name="Duyệt").click()
    expect(page.get_by_text("Đã duyệt: moi làm Cán bộ xã hội cấp xã")).to_be_visible()
    assert User.objects.get(username="moi").staff.role == Role.COMMUNE_OFFICER


def test_a_second_person_hands_over_the_activation_code(
    live_server: Any,
    world: World,
    context: BrowserContext,
    viewport: str,
) -> None:
    """The newcomer's link opens once and leaves the token's address; the code comes from a
    second administrator's approvals page; with both the first password is set."""
    second = make_user("thu", first_name="Lê Thị", last_name="Thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=second,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    admin = _sign_in_by_cookie(context, live_server.url, world.users["quan"])
    admin.goto(f"{live_server.url}/staff/new/")
    admin.locator("#id_username").fill("thanh")
    admin.locator("#id_full_name").fill("Nguyễn Văn Thành")
    admin.locator("#id_organisation").select_option(str(world.orgs["social"].pk))
    admin.locator("#id_role").select_option(Role.AUDITOR)
    admin.locator("#id_scope_unit").select_option(str(world.units["province"].pk))
    admin.get_by_role("button", name="Tạo").click()
    link = admin.get_by_test_id("invitation-link").inner_text().strip()
    admin.close()

    approver = _sign_in_by_cookie(context, live_server.url, second)
    approver.goto(f"{live_server.url}/staff/changes/")
    card = approver.get_by_test_id("awaiting-code").filter(has_text="thanh")
    _no_horizontal_scroll(approver)
    _shot(approver, "list-activation-codes", viewport)
    card.get_by_role("button", name="Hiện mã kích hoạt").click()
    code = approver.get_by_test_id("activation-code").inner_text().strip()
    _no_horizontal_scroll(approver)
    _shot(approver, "activation-code", viewport)
    approver.close()

    browser = context.browser
    assert browser is not None
    newcomer = browser.new_context(viewport=everyday.VIEWPORTS[viewport], locale="vi-VN")  # type: ignore[arg-type]
    page = newcomer.new_page()
    page.goto(link)
    assert page.url == f"{live_server.url}/staff/welcome/"
    page.locator("#id_code").fill(code)
    page.locator("#id_new_password1").fill("ngựa-đúng-pin-kẹp-9")
    page.locator("#id_new_password2").fill("ngựa-đúng-pin-kẹp-9")
    _no_horizontal_scroll(page)
    _shot(page, "staff-welcome", viewport)
    page.get_by_role("button", name="Đặt mật khẩu").click()
    expect(page.locator("#id_username")).to_be_visible()  # the login page
    assert User.objects.get(username="thanh").check_password("ngựa-đúng-pin-kẹp-9")
    newcomer.close()
