"""Journey: on a 360 px phone a caseworker registers someone already on file (typed without
accents, no citizen ID): the likely match is shown before saving, she checks it and confirms
a different person; and she searches a name, finds nobody, and registers with what she typed.
Screenshots: ``register-possible-duplicate.png``, ``register-from-search.png`` (``make
screens`` writes them to docs/screens/).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]


def _shot(page: Page, name: str) -> None:
    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def test_a_likely_duplicate_is_shown_before_registering(
    live_server: Any, world: World, lan_person: Person, phone_page: Page
) -> None:
    page = phone_page
    device = totp_device_create(user=world.users["lan"], confirmed=True)
    page.goto(f"{live_server.url}/people/new/")
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(device.secret))
    page.get_by_role("button", name="Tiếp tục").click()

    # Lan's own person again, typed without accents and without a citizen ID.
    page.get_by_label("Họ và tên").fill("Tran Thi Binh")
    page.get_by_label("Giới tính").select_option("F")
    page.get_by_label("Năm sinh").fill("1991")
    page.get_by_label("Xã nơi cư trú").select_option(label="Xã Một Một")
    page.get_by_role("button", name="Lưu").click()

    warning = page.locator("[data-testid=possible-duplicates]")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("link", name="Trần Thị Bình")).to_be_visible()
    expect(page.get_by_label("Họ và tên")).to_have_value("Tran Thi Binh")  # nothing lost
    _fits(page)
    _shot(page, "register-possible-duplicate")
    assert Person.objects.count() == 1

    page.locator("[data-testid=different-person]").click()
    expect(page.get_by_text("Đã đăng ký người được hỗ trợ.")).to_be_visible()
    new = Person.objects.exclude(pk=lan_person.pk).get()
    event = Event.objects.get(action=CaseAction.PERSON_CREATED, object_id=str(new.pk))
    assert event.detail["different_from"] == [str(lan_person.pk)]

    # Search first; nobody found: register with what was typed.
    page.goto(f"{live_server.url}/people/")
    page.get_by_label("Tìm theo").select_option("name")
    page.get_by_label("Nội dung tìm kiếm").fill("Lò Văn Sáng")
    page.get_by_label("Năm sinh (không bắt buộc)").fill("1987")
    page.locator("form.card button.primary").click()
    page.locator("[data-testid=register-typed] button").click()
    expect(page.get_by_label("Họ và tên")).to_have_value("Lò Văn Sáng")
    expect(page.get_by_label("Năm sinh")).to_have_value("1987")
    assert "S%C3%A1ng" not in page.url and "Sáng" not in page.url  # never in a URL
    _fits(page)
    _shot(page, "register-from-search")
