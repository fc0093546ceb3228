"""Journey: two staff edit the same person at once; the second sees the conflict page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from cases.models import Person
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")


def _sign_in(page: Page, url: str, username: str, secret: str) -> None:
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(secret))
    page.get_by_role("button", name="Tiếp tục").click()


def test_the_second_save_shows_what_the_other_person_changed(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    lan_person.birth_date = "1991-03-05"  # a date neither of them changes
    lan_person.save()
    url = f"{live_server.url}/people/{lan_person.pk}/edit/"
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
    lan_page, minh_page = desk.new_page(), phone.new_page()
    for page, name in ((lan_page, "lan"), (minh_page, "minh")):
        page.set_default_timeout(15_000)
        _sign_in(page, url, name, totp_device_create(user=world.users[name], confirmed=True).secret)
        expect(page.get_by_label("Địa chỉ")).to_be_visible()

    lan_page.get_by_label("Số điện thoại").fill("0977 000 111")
    lan_page.get_by_role("button", name="Lưu").click()
    expect(lan_page.get_by_role("heading", name="Trần Thị Bình")).to_be_visible()

    minh_page.get_by_label("Địa chỉ").fill("Bản Mới, xã Một Một")
    minh_page.get_by_role("button", name="Lưu").click()
    conflict = minh_page.get_by_test_id("edit-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("0977000111")
    # Only lan's change is listed: not the date of birth neither of them touched.
    expect(conflict.locator("tbody tr")).to_have_count(1)
    expect(conflict).not_to_contain_text("Ngày sinh")
    expect(conflict).not_to_contain_text("1991-03-05")
    expect(conflict.locator(".tag.danger")).to_have_count(0)
    # The list is above the form; the error summary says so.
    expect(minh_page.get_by_test_id("error-summary")).to_contain_text("liệt kê ở trên")
    expect(minh_page.get_by_label("Ngày sinh (nếu biết)")).to_have_value("05/03/1991")
    # Both changes are in the form: minh's typed address and lan's saved phone.
    expect(minh_page.get_by_label("Địa chỉ")).to_have_value("Bản Mới, xã Một Một")
    expect(minh_page.get_by_label("Số điện thoại")).to_have_value("0977000111")
    width = minh_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"conflict page is {width}px wide on a 360px screen"
    SHOTS.mkdir(parents=True, exist_ok=True)
    minh_page.screenshot(path=str(SHOTS / "edit-conflict.png"), full_page=True)
    lan_person.refresh_from_db()
    assert lan_person.address == "Thôn Thử, xã Thử"  # the refused save wrote nothing

    minh_page.get_by_role("button", name="Lưu").click()
    expect(minh_page.get_by_role("heading", name="Trần Thị Bình")).to_be_visible()
    lan_person.refresh_from_db()
    assert (lan_person.phone, lan_person.address) == ("0977000111", "Bản Mới, xã Một Một")
    desk.close()
    phone.close()
