"""The clinic's list of the day with a keyboard and a screen reader, on a 360 px phone (issue
23, item 11): a tap says what was recorded (a polite live region), keyboard focus moves on to
the next patient's button instead of falling to the top of the page, and the list with dosed
rows passes axe-core (a dosed row's record code was faded to 4.39:1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import Person
from tests.browser.conftest import axe_violations, sign_in_by_cookie
from tests.browser.test_methadone_today import _clinic
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]


def test_a_tap_is_announced_and_focus_moves_to_the_next_patient(
    live_server: Any, world: World, lan_person: Person, phone_page: Page
) -> None:
    _clinic(world, lan_person)
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["lan"])
    page.goto(f"{live_server.url}/methadone/today/")
    rows = page.get_by_test_id("today-row")
    expect(rows).to_have_count(4)
    first, second = rows.nth(0), rows.nth(1)
    name = first.locator(".today-who strong").inner_text()

    first.get_by_test_id("observed").focus()
    page.keyboard.press("Enter")
    expect(first.get_by_test_id("today-status")).to_be_visible()
    announce = page.get_by_test_id("today-announce")
    expect(announce).to_have_attribute("role", "status")
    expect(announce).to_contain_text(name)
    expect(announce).to_contain_text("mg")
    expect(second.locator("form button").first).to_be_focused()

    # The next patient is dosed from the keyboard alone, and focus moves on again.
    page.keyboard.press("Enter")
    expect(second.get_by_test_id("today-status")).to_be_visible()
    expect(rows.nth(2).locator("form button").first).to_be_focused()

    found = axe_violations(page)  # the list as it is now, with two dosed rows
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in found] == []
    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "methadone-today-dosed.png"), full_page=True)
