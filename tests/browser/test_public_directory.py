"""The public directory on a 360 px phone with JavaScript off and nobody signed in: the
provinces, a province's facilities grouped by type, the forms of treatment and the rights,
in Vietnamese and then in English; no client data anywhere (issue 32, D56).

Screenshots: ``docs/screens/directory-*.png`` (``make screens`` with HOA_NHAP_SCREENS_DIR).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Person
from services.models import ServiceType
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
)
from tests.conftest import World
from tests.facilities.support import facility

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def scriptless_phone(browser: Browser) -> Iterator[Page]:
    """A 360 px phone with JavaScript disabled and no cookies."""
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, locale="vi-VN", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_anyone_finds_services_on_a_phone_without_script(
    live_server: Any, world: World, lan_person: Person, scriptless_phone: Page
) -> None:
    u = world.units
    rehab = facility("Cơ sở cai nghiện ma túy Tỉnh Kiểm Thử", "rehab-public", u["c1"], capacity=120)
    rehab.phone, rehab.opening_hours = "0214 3822 111", "Cả ngày, 24/7"
    rehab.eligibility = "Người nghiện ma túy từ đủ 18 tuổi, cư trú trong tỉnh"
    rehab.services_other = "Khám sức khỏe định kỳ"
    rehab.save()
    rehab.services.set(ServiceType.objects.filter(code="counselling"))
    clinic = facility("Cơ sở điều trị methadone Phường Tỉnh", "methadone-clinic", u["c4"])
    clinic.opening_hours = "6:30–10:30 và 14:00–17:00, cả tuần"
    clinic.save()
    facility("Nhà Nhân ái Huyện Hai", "nha-nhan-ai", u["c3"], capacity=30, unit="places")
    facility("Trung tâm trợ giúp pháp lý Tỉnh", "legal-aid", u["c4"])
    facility("Cơ sở chưa công bố", "rehab-public", u["c2"], published=False)

    page = scriptless_phone
    page.goto(live_server.url + "/directory/")
    assert page.url == live_server.url + "/directory/"  # no sign-in asked
    expect(page.get_by_role("heading", name="Dịch vụ điều trị và hỗ trợ")).to_be_visible()
    _fits(page)
    _shot(page, "directory-provinces", "phone")
    page.get_by_role("link", name="Tỉnh Kiểm Thử").click()
    expect(page.get_by_test_id("facility")).to_have_count(4)
    expect(page.get_by_role("heading", name="Cơ sở điều trị methadone", exact=True)).to_be_visible()
    expect(page.get_by_text("0214 3822 111")).to_be_visible()
    expect(page.get_by_text("Cơ sở chưa công bố")).to_have_count(0)
    _fits(page)
    _shot(page, "directory-province", "phone")
    text = page.content()
    for value in (lan_person.full_name, lan_person.citizen_id, lan_person.phone):
        assert value not in text
    page.get_by_role("link", name="Hình thức cai nghiện và điều trị").click()
    expect(page.get_by_role("heading", name="Cai nghiện bắt buộc")).to_be_visible()
    _fits(page)
    _shot(page, "directory-treatment", "phone")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Forms of treatment", level=1)).to_be_visible()
    page.get_by_role("link", name="Your rights").click()
    assert page.url.endswith("/directory/rights/?lang=en")
    expect(page.get_by_role("heading", name="Your rights", level=1)).to_be_visible()
    _fits(page)
    _shot(page, "directory-rights-en", "phone")


def test_the_directory_pages_pass_the_accessibility_check(
    live_server: Any, world: World, phone_page: Page
) -> None:
    """The same pages with JavaScript on, so axe-core checks each one (conftest)."""
    facility("Nhà Nhân ái Huyện Hai", "nha-nhan-ai", world.units["c3"], capacity=30, unit="places")
    for path in ("", "98/", "treatment/", "rights/?lang=en"):
        phone_page.goto(f"{live_server.url}/directory/{path}")
        expect(phone_page.locator("h1")).to_be_visible()
    phone_page.goto(live_server.url + "/directory/")  # leaving the last page checks it


def test_from_the_sign_in_page_to_a_province_in_english(
    live_server: Any, world: World, scriptless_phone: Page
) -> None:
    """The sign-in page leads to the directory; in English, a province's facility types,
    services and who may use them are in English, hours too where the facility gives them
    (D62)."""
    u = world.units
    rehab = facility("Cơ sở cai nghiện ma túy Tỉnh Kiểm Thử", "rehab-public", u["c1"], capacity=120)
    rehab.phone, rehab.opening_hours = "0214 3822 111", "Cả ngày, 24/7"
    rehab.opening_hours_en = "All day, every day"
    rehab.eligibility = "Người nghiện ma túy từ đủ 18 tuổi, cư trú trong tỉnh"
    rehab.save()
    rehab.services.set(ServiceType.objects.filter(code__in=["counselling", "education_vocational"]))
    clinic = facility("Cơ sở điều trị methadone Phường Tỉnh", "methadone-clinic", u["c4"])
    clinic.opening_hours = "6:30–10:30 và 14:00–17:00, cả tuần"
    clinic.save()
    clinic.services.set(ServiceType.objects.filter(code="opioid_substitution"))
    facility("Nhà Nhân ái Huyện Hai", "nha-nhan-ai", u["c3"], capacity=30, unit="places")

    page = scriptless_phone
    page.goto(live_server.url + "/login/")
    page.get_by_test_id("directory-link").get_by_role("link").click()
    assert page.url == live_server.url + "/directory/"
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Tỉnh Kiểm Thử").click()
    assert page.url.endswith("/directory/98/?lang=en")
    for heading in (
        "Methadone treatment facilities",
        "Public drug rehabilitation facilities",
        "Nhà Nhân ái (shelter and support houses)",
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("All day, every day")).to_be_visible()
    expect(page.get_by_text("Counselling", exact=False)).to_be_visible()
    opioid = ServiceType.objects.get(code="opioid_substitution")
    expect(page.get_by_text(opioid.name_en)).to_be_visible()
    expect(page.get_by_text("Illegal drug user", exact=False)).to_be_visible()
    expect(page.locator('dd[lang="vi"]', has_text="6:30–10:30")).to_be_visible()
    _fits(page)
    _shot(page, "directory-province-en", "phone")
