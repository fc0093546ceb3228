"""The page frame on a 360 × 740 px phone: a folded menu that opens without JavaScript, the
content (and a form's error summary) on the first screen, and messages after a save that
pass axe-core (issue 23, items 9 and 11).

Screenshots go to ``var/screens/`` (``make screens`` writes them to ``docs/screens/``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Person
from tests.browser.conftest import axe_violations, open_menu, sign_in_by_cookie
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
SCREEN = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


def _shot(page: Page, name: str) -> None:
    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))  # the first screen, as a person sees it


def _bottom(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] + box["height"]


def test_the_menu_folds_on_a_phone_and_opens_without_javascript(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    context = browser.new_context(viewport=SCREEN, locale="vi-VN", java_script_enabled=False)  # type: ignore[arg-type]
    page = sign_in_by_cookie(context, live_server.url, world.users["lan"])
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/people/{lan_person.pk}/cases/new/")
    page.get_by_label("Trạng thái").select_option("closed")
    page.get_by_label("Ngày mở").fill("")
    page.get_by_label("Ngày đóng").fill("05/10/2026")
    page.get_by_role("button", name="Lưu").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()

    header = _bottom(page, "header.topbar")
    assert header <= 64, f"the top bar takes {header:.0f}px of a 740px screen"
    nav = page.get_by_role("navigation", name="Menu chính")
    expect(nav.get_by_role("link", name="Tìm người")).to_be_hidden()
    # The heading and the whole error summary are on the first screen, no scrolling.
    assert _bottom(page, "main h1") <= SCREEN["height"]
    assert _bottom(page, "[data-testid=error-summary]") <= SCREEN["height"]
    _shot(page, "phone-menu-folded-form-errors")

    open_menu(page)  # a <details>: opens with JavaScript off
    expect(nav.get_by_role("link", name="Tìm người")).to_be_visible()
    expect(nav.get_by_role("button", name="Đăng xuất (lan)")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the open menu makes the page {width}px wide"
    _shot(page, "phone-menu-open")
    nav.get_by_role("link", name="Tìm người").click()
    expect(page.get_by_role("heading", name="Tìm người được hỗ trợ")).to_be_visible()
    context.close()


def test_the_menu_is_shown_open_on_a_desktop(
    live_server: Any, world: World, browser: Browser
) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")  # type: ignore[arg-type]
    page = sign_in_by_cookie(context, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/people/")
    nav = page.get_by_role("navigation", name="Menu chính")
    expect(nav.get_by_role("link", name="Tìm người")).to_be_visible()
    expect(nav.locator("summary")).to_be_hidden()
    context.close()


def test_the_message_after_a_save_passes_axe(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    context = browser.new_context(viewport=SCREEN, locale="vi-VN")  # type: ignore[arg-type]
    page = sign_in_by_cookie(context, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/people/{lan_person.pk}/edit/")
    page.get_by_label("Số điện thoại").fill("0977 000 111")
    page.get_by_role("button", name="Lưu").click()
    message = page.get_by_role("status").filter(has_text="Đã lưu các thay đổi")
    expect(message).to_be_visible()
    assert [v["id"] for v in axe_violations(page)] == []
    assert _bottom(page, "[data-testid=messages]") <= SCREEN["height"]
    _shot(page, "phone-saved-message")
    context.close()
