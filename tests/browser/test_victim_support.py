"""Journey: a caseworker receives a returned victim, records a shelter stay and a hardship
allowance, plans a reintegration visit and sees the timeline; the location stays masked
until she asks to see it. On a 360 px phone and on a desktop."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from cases.models import Organisation, OrganisationType, Person
from tests.conftest import World
from tests.factories import PASSWORD, make_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screens"
VIEWPORTS = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1366, "height": 768}}
PLACE = "Cửa khẩu Kim Thành"
SHELTER = "Nhà Nhân ái Bình Yên"


def _sign_in(page: Page, url: str, username: str, secret: str) -> None:
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(secret))
    page.get_by_role("button", name="Tiếp tục").click()


def _fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide on a {width}px screen"


def _add(page: Page, case_url: str, slug: str) -> None:
    page.goto(case_url)
    page.locator("[data-testid=add-menu] summary").click()  # the "Add…" menu
    page.locator(f"[data-testid=add-menu] a[href$='/add/{slug}/']").click()


def _save(page: Page) -> None:
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("[data-testid=timeline]")).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_caseworker_supports_a_returned_victim(
    live_server: Any, world: World, lan_person: Person, browser: Browser, viewport: str
) -> None:
    case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        assigned_to=world.users["lan"],
    )
    Organisation.objects.create(
        name=SHELTER,
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["province"],
    )
    size = VIEWPORTS[viewport]
    context = browser.new_context(viewport=size, locale="vi-VN")  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    case_url = f"{live_server.url}/cases/{case.pk}/"
    _sign_in(
        page, case_url, "lan", totp_device_create(user=world.users["lan"], confirmed=True).secret
    )
    today = timezone.localdate()
    day = (today - datetime.timedelta(days=10)).strftime("%d/%m/%Y")

    _add(page, case_url, "reception")
    page.locator("#id_received_on").fill(day)
    page.locator("#id_place").fill(PLACE)
    page.locator("#id_receiving_agency").select_option(label="Sở Xã hội Kiểm Thử")
    page.locator("#id_identification_status").select_option("identified")
    page.locator("#id_current_address").fill("Thôn Bí Mật")
    page.locator("#id_contact").fill("0912 000 111")
    _fits(page, size["width"])
    _save(page)

    _add(page, case_url, "shelter")
    page.locator("#id_shelter").select_option(label=SHELTER)
    page.locator("#id_entered_on").fill(day)
    _save(page)

    _add(page, case_url, "service")
    page.locator("#id_service_type").select_option(label="Trợ cấp khó khăn ban đầu")
    page.locator("#id_status").select_option("delivered")
    page.locator("#id_delivered_on").fill(today.strftime("%d/%m/%Y"))
    page.locator("#id_amount").fill("1.500.000")
    _save(page)

    _add(page, case_url, "follow-up")
    page.locator("#id_kind").select_option("reintegration_visit")
    page.locator("#id_due_on").fill((today + datetime.timedelta(days=30)).strftime("%d/%m/%Y"))
    _save(page)

    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("1.500.000 ₫")
    expect(timeline.locator("li")).to_have_count(3)  # what happened
    # The planned visit is listed apart, under what is coming up.
    expect(page.get_by_test_id("planned").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("planned")).to_contain_text("Thăm")
    expect(timeline).not_to_contain_text(SHELTER)
    expect(page.locator("main")).not_to_contain_text(PLACE)
    _fits(page, size["width"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"victim-support-timeline-{viewport}.png"), full_page=True)

    # The reception is masked until she asks, which is recorded.
    timeline.locator("a[href*='/services/reception/']").click()
    facts = page.locator("[data-testid=record-facts]")
    expect(facts).not_to_contain_text(PLACE)
    page.screenshot(path=str(SHOTS / f"victim-reception-masked-{viewport}.png"), full_page=True)
    page.locator("[data-testid=reveal]").click()
    expect(facts).to_contain_text(PLACE)
    expect(facts).to_contain_text("0912 000 111")
    page.screenshot(path=str(SHOTS / f"victim-reception-revealed-{viewport}.png"), full_page=True)
    context.close()
