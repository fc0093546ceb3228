"""The coverage figures in Chromium, on a 360 px phone and on a desktop: the supervisor opens
them from the menu, drills down from the province to a district and to a commune, opens one
indicator (its two inline SVG charts and their tables) and the people behind a number.

Screenshots go to ``var/screens/`` (``make screens`` writes the phone one to
``docs/screens/figures-dashboard-360.png``).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import open_menu
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (  # noqa: F401 (fixtures)
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
    context,
    viewport,
)
from tests.browser.test_everyday_use import _sign_in_by_cookie as _signed_in
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.reports import dashboard_fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

indicators = dashboard_fixtures.indicators
target_70 = dashboard_fixtures.target_70

PEOPLE = [
    ("Giàng Thị Mỷ", "F", "c1", True),
    ("Sùng A Páo", "M", "c1", True),
    ("Lò Văn Hùng", "M", "c2", False),
    ("Vàng Văn Sử", "M", "c3", True),
    ("Hà Thị Ánh", "F", "c4", False),
    ("Nông Văn Thắng", "M", "c4", True),
]


def _town(world: World) -> None:
    day = datetime.date.today().replace(month=1, day=10)  # noqa: DTZ011  (this year's figures)
    for name, sex, commune, treated in PEOPLE:
        person = make_person(
            full_name=name,
            sex=sex,
            residence_commune=world.units[commune],
            registered_by=world.orgs["clinic_a"],
        )
        if treated:
            make_case(person=person, organisation=world.orgs["clinic_a"], opened_on=day)


def test_drill_down_from_the_province_to_a_commune(
    live_server: Any,
    world: World,
    indicators: Any,
    target_70: Any,
    context: BrowserContext,  # noqa: F811 (the shared fixture)
    viewport: str,  # noqa: F811
) -> None:
    _town(world)
    page = _signed_in(context, live_server.url, world.users["hoa"])
    page.goto(f"{live_server.url}/")
    open_menu(page).get_by_role("link", name="Số liệu bao phủ").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Tỉnh Kiểm Thử")
    line = page.get_by_test_id("line-TEST_ADDICTION")
    expect(line).to_contain_text("66,7%")
    expect(line).to_contain_text("4 / 6")
    expect(line).to_contain_text("Chưa đạt")
    _fits(page)
    _shot(page, "figures-dashboard-360" if viewport == "phone" else "figures-dashboard", viewport)

    page.get_by_test_id("drill-down").get_by_role("link", name="Huyện Một").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Huyện Một")
    expect(page.get_by_test_id("line-TEST_ADDICTION")).to_contain_text("2 / 3")
    crumbs = page.get_by_test_id("breadcrumb")
    expect(crumbs.get_by_role("link", name="Tỉnh Kiểm Thử")).to_be_visible()
    _fits(page)

    page.get_by_test_id("line-TEST_ADDICTION").get_by_role("link").first.click()
    expect(page.get_by_test_id("units-chart").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_have_attribute("role", "img")
    expect(page.get_by_test_id("row-98101")).to_contain_text("100,0%")
    _fits(page)
    _shot(page, "figures-indicator", viewport)
    _chart_text_reads(page)

    page.get_by_test_id("row-98101").get_by_role("link", name="Xã Một Một").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xã Một Một")
    expect(page.get_by_test_id("drill-down")).to_have_count(0)  # a commune: nothing below
    page.get_by_test_id("summary").get_by_test_id("people-link").click()
    expect(page.get_by_test_id("people-list")).to_contain_text("Giàng Thị Mỷ")
    expect(page.get_by_test_id("people-list")).not_to_contain_text("Lò Văn Hùng")
    _fits(page)


# The text of a chart as the eye sees it: its font size in the drawing's units times the
# drawing's scale on the page (the SVG is as wide as its box; its viewBox sets the units).
EFFECTIVE_SIZES = """() => [...document.querySelectorAll('svg.chart text')].map(t => {
    const svg = t.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale];
})"""


def _chart_text_reads(page: Any) -> None:
    """Every label, value and target mark of both charts is at least 12 px on the screen."""
    sizes = page.evaluate(EFFECTIVE_SIZES)
    assert len(sizes) >= 8, sizes  # both charts drew their labels and values
    small = [(text, round(size, 2)) for text, size in sizes if size < 12]
    assert not small, f"chart text under 12 px at {page.viewport_size}: {small}"


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_reversed_period_keeps_from_before_to_on_a_phone(
    live_server: Any,
    world: World,
    indicators: Any,
    context: BrowserContext,  # noqa: F811
    viewport: str,  # noqa: F811
) -> None:
    """Found driving the page at 360 px: with the error under "To", "From" dropped below it."""
    page = _signed_in(context, live_server.url, world.users["hoa"])
    page.goto(f"{live_server.url}/figures/?period=custom&start=31/12/2026&end=01/01/2026")
    expect(page.get_by_test_id("figures-filters")).to_contain_text("Ngày kết thúc kỳ")
    start = page.locator("input[name=start]").bounding_box()
    end = page.locator("input[name=end]").bounding_box()
    assert start is not None and end is not None
    # Side by side (same line, From on the left), or From above To: never To first.
    assert start["y"] <= end["y"] and (start["y"] < end["y"] or start["x"] < end["x"])
    assert page.locator("input[name=start]").input_value() == "31/12/2026"  # kept
    period = page.locator("select[name=period]").bounding_box()
    assert period is not None and period["width"] > 250  # "Từ ngày … đến ngày …" not cut
    _fits(page)
    _shot(page, "figures-period-error", viewport)
