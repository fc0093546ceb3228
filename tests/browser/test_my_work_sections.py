"""A busy commune officer's start page on a 360 px phone: a few rows per section, each with
its count and a link to the whole list, so the page stays a few screens tall (issue 23,
item 10: it was 14,626 px on the demo).

Screenshots go to ``var/screens/`` (``make screens`` writes them to ``docs/screens/``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from cases.models import Person
from tests.browser.conftest import open_menu, sign_in_by_cookie
from tests.cases.test_my_work_sections import RESIDENTS, seed_busy_minh
from tests.conftest import World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
SCREEN = {"width": 360, "height": 740}
# A few screens: the bounded sections with their counts and links.
TALLEST = 3000


def test_a_busy_commune_officers_start_page_stays_short_on_a_phone(
    live_server: Any, world: World, lan_person: Person, browser: Browser
) -> None:
    seed_busy_minh(world)
    context = browser.new_context(viewport=SCREEN, locale="vi-VN")  # type: ignore[arg-type]
    page = sign_in_by_cookie(context, live_server.url, world.users["minh"])
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    nav = open_menu(page)
    nav.get_by_role("link", name="Việc của tôi").click()
    expect(page.get_by_role("heading", name="Việc của tôi", level=1)).to_be_visible()

    folder = ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "phone-my-work.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < TALLEST, f"the start page is {height}px tall at 360px"
    for section in ("due", "my-open-cases", "recent-people", "residents"):
        rows = page.get_by_test_id(section).locator("li, tbody tr")
        assert rows.count() <= 5, f"{section} shows {rows.count()} rows"
    # The overdue items come first, marked.
    first_due = page.get_by_test_id("due").locator("li").first
    expect(first_due).to_have_class("card overdue")

    # "See all" for the residents: the whole list, paged, with a way back.
    page.get_by_test_id("residents").locator("a[href$='?section=residents']").click()
    residents = page.get_by_test_id("residents").locator("li")
    expect(residents).to_have_count(RESIDENTS + 1)
    page.screenshot(path=str(folder / "phone-my-work-residents.png"))
    page.get_by_role("link", name="← Việc của tôi").click()
    expect(page.get_by_test_id("my-open-cases")).to_be_visible()
    context.close()
