"""Journey: a supervisor approves, on a phone, a role change an administrator asked for
(issue 23 item 15: the card says who, which role, where; approving needs the confirm box,
rejecting a reason; the notice says what was decided for whom)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from accounts.capabilities import roles_of
from cases.choices import Role
from cases.models import RoleChangeRequest, StaffProfile
from cases.roles import staff_profile_save
from tests.conftest import World
from tests.factories import PASSWORD, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")


def test_supervisor_approves_a_new_caseworker_on_a_phone(
    live_server: Any, world: World, phone_page: Page
) -> None:
    newcomer = make_user("moi", first_name="Hà Thị", last_name="Mới")
    _profile, pending = staff_profile_save(
        actor=world.users["quan"],
        profile=StaffProfile(
            user=newcomer,
            organisation=world.orgs["clinic_a"],
            role=Role.CASEWORKER,
            scope_unit=world.units["d1"],
        ),
    )
    assert pending is not None
    page = phone_page
    secret = totp_device_create(user=world.users["hoa"], confirmed=True).secret
    page.goto(f"{live_server.url}/staff/changes/")
    page.get_by_label("Tên đăng nhập").fill("hoa")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(secret))
    page.get_by_role("button", name="Tiếp tục").click()

    card = page.get_by_test_id("role-request")
    expect(card).to_contain_text("Hà Thị Mới")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the approvals page is {width}px wide on a 360px screen"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "role-approval-360.png"), full_page=True)
    expect(card.get_by_test_id("proposed")).to_contain_text("Cán bộ quản lý ca")
    expect(card.get_by_test_id("proposed")).to_contain_text(world.orgs["clinic_a"].name)
    card.get_by_label("Tôi đã kiểm tra: moi làm Cán bộ quản lý ca").check()
    card.get_by_role("button", name="Duyệt").click()
    done = f"Đã duyệt: moi làm Cán bộ quản lý ca tại {world.orgs['clinic_a'].name}."
    expect(page.get_by_text(done)).to_be_visible()
    page.screenshot(path=str(SHOTS / "role-approval-done-360.png"), full_page=True)
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.APPROVED
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)
    assert roles_of(newcomer) == {Role.CASEWORKER}
