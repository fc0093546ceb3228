"""Journey: a caseworker logs in on a phone and registers a person, in Vietnamese."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from cases.models import Person
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def test_caseworker_registers_a_person(live_server: Any, world: World, phone_page: Page) -> None:
    page = phone_page
    device = totp_device_create(user=world.users["lan"], confirmed=True)
    page.goto(f"{live_server.url}/people/new/")
    # Not logged in: sent to the Vietnamese login page.
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    _no_horizontal_scroll(page)
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    # Enrolled already: the second factor is asked for, then the wanted page follows.
    expect(page.get_by_role("heading", name="Bước hai: mã xác thực")).to_be_visible()
    _no_horizontal_scroll(page)
    page.get_by_label("Mã xác thực").fill(totp.code(device.secret))
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", name="Đăng ký người được hỗ trợ mới")).to_be_visible()
    _no_horizontal_scroll(page)
    page.get_by_label("Họ và tên").fill("Sùng Thị Mẩy")
    page.get_by_label("Số định danh cá nhân/CCCD").fill("010 1 99 004 567")
    page.get_by_label("Giới tính").select_option("F")
    page.get_by_label("Năm sinh").fill("1998")  # disagrees with the citizen ID on purpose
    page.get_by_label("Dân tộc").select_option("08")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Xã nơi cư trú").select_option(label="Xã Một Một")
    page.get_by_label("Địa chỉ").fill("Bản Thử, xã Một Một")
    page.get_by_role("button", name="Lưu").click()

    # The mistake is explained in Vietnamese and nothing typed is lost.
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator(".has-error p.error")).to_contain_text("1999")
    expect(page.get_by_label("Họ và tên")).to_have_value("Sùng Thị Mẩy")
    expect(page.get_by_label("Địa chỉ")).to_have_value("Bản Thử, xã Một Một")
    _no_horizontal_scroll(page)
    assert Person.objects.count() == 0

    page.get_by_label("Năm sinh").fill("1999")
    page.get_by_role("button", name="Lưu").click()

    expect(page.get_by_text("Đã đăng ký người được hỗ trợ.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sùng Thị Mẩy")).to_be_visible()
    _no_horizontal_scroll(page)
    person = Person.objects.get()
    assert person.full_name == "Sùng Thị Mẩy"
    assert person.citizen_id == "010199004567"
    assert page.url.endswith(f"/people/{person.pk}/")
