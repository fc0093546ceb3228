"""Journeys of everyday use, on a 360 px phone and a 1366 px desktop: each role's sign-in
landing, the three error pages, the case form with the input that used to crash it, the
review queue's radios, the commune officer's resident list, and no list page that scrolls
sideways.

Screenshots go to ``var/screens/`` (``make screens`` writes the phone ones to
``docs/screens/``, referenced from the README).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts import totp
from accounts.actions import totp_device_create
from accounts.models import User
from cases import actions
from cases.models import Case, EmergencyAccess, Person
from tests.conftest import World, signed_in_client
from tests.factories import PASSWORD, make_case, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 768}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
REASON = "Người bệnh nhập viện cấp cứu, cần xem liều methadone đang dùng"
FULL_NAMES = {
    "lan": ("Nguyễn Thị", "Lan"),
    "tuan": ("Phạm Văn", "Tuấn"),
    "minh": ("Hoàng Văn", "Minh"),
    "hoa": ("Lê Thị", "Hoa"),
    "an": ("Đỗ Văn", "An"),
    "quan": ("Vũ Minh", "Quân"),
}


def _screens_dir() -> Path:
    return ROOT / os.environ.get("HOA_NHAP_SCREENS_DIR", "var/screens")


def _shot(page: Page, name: str, viewport: str) -> None:
    """Save a full-page screenshot; ``make screens`` keeps the phone ones in docs/screens."""
    folder = _screens_dir()
    if viewport != "phone":
        folder = ROOT / "var" / "screens" / viewport
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_horizontal_scroll(page: Page) -> None:
    viewport = page.viewport_size
    assert viewport is not None
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width}px wide on {viewport['width']}px"


@pytest.fixture(autouse=True)
def _pending_translations(tmp_path: Path, settings: Any) -> None:
    """Show the Vietnamese of strings still waiting in locale/pending/ (merged by the lead)."""
    pending = sorted((ROOT / "locale" / "pending").glob("*.json"))
    if not pending:
        return
    po = polib.pofile(str(ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
    known = {entry.msgid: entry for entry in po}
    for path in pending:
        for msgid, msgstr in json.loads(path.read_text()).items():
            entry = known.get(msgid)
            if entry is None:
                # A plural msgid is looked up by its singular alone; the plural text is moot.
                entry = polib.POEntry(
                    msgid=msgid, msgid_plural=msgid if isinstance(msgstr, list) else ""
                )
                po.append(entry)
            if isinstance(msgstr, list):
                entry.msgstr_plural = dict(enumerate(msgstr))
            else:
                entry.msgstr = msgstr
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po.save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *django_settings.LOCALE_PATHS]


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(browser: Browser, viewport: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN")  # type: ignore[arg-type]
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def town(world: World, lan_person: Person, tuan_person: Person) -> World:
    """The named actors with full names, and a commune's worth of people and cases."""
    for username, (first, last) in FULL_NAMES.items():
        User.objects.filter(username=username).update(first_name=first, last_name=last)
    people = [
        ("Giàng Thị Mỷ", "F", 1998, "c1", "clinic_a", "addiction", "lan"),
        ("Sùng A Páo", "M", 1987, "c1", "commune_x", "drug_user", None),
        ("Vàng Thị Dợ", "F", 2001, "c1", "clinic_a", "trafficking_victim", "lan"),
        ("Lò Văn Hùng", "M", 1979, "c2", "clinic_a", "post_rehab", "lan"),
        ("Hà Thị Nguyệt Ánh", "F", 1995, "c1", "commune_x", "high_risk", None),
        ("Nông Văn Thắng", "M", 1990, "c2", "clinic_a", "addiction", None),
    ]
    for n, (name, sex, year, unit, org, category, assigned) in enumerate(people):
        person = make_person(
            full_name=name,
            sex=sex,
            birth_year=year,
            residence_commune=world.units[unit],
            registered_by=world.orgs[org],
            birth_year_estimated=n % 3 == 1,
        )
        make_case(
            person=person,
            organisation=world.orgs[org],
            category=category,
            assigned_to=world.users[assigned] if assigned else None,
            opened_on=date(2026, 1 + n, 10),
        )
    return world


def _sign_in_by_cookie(ctx: BrowserContext, base_url: str, user: User) -> Page:
    """Start a browser session for a user already past the second factor (a test shortcut)."""
    client: Client = signed_in_client(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    ctx.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return ctx.new_page()


# --- sign-in landing ---------------------------------------------------------------------

LANDINGS = {
    # A methadone clinic's staff start on the clinic's list of the day.
    "lan": ("/methadone/today/", None),
    "minh": ("/my-work/", "Việc của tôi"),
    "hoa": ("/people/", "Tìm người được hỗ trợ"),
    "an": ("/audit/", None),
    "quan": ("/staff/", "Cán bộ"),
}


@pytest.mark.parametrize("who", list(LANDINGS))
def test_each_role_lands_on_its_start_page(
    live_server: Any, town: World, context: BrowserContext, viewport: str, who: str
) -> None:
    device = totp_device_create(user=town.users[who], confirmed=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Tên đăng nhập").fill(who)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(totp.code(device.secret))
    page.get_by_role("button", name="Tiếp tục").click()
    path, heading = LANDINGS[who]
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    if heading:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    _no_horizontal_scroll(page)
    expect(page.locator("text=403")).to_have_count(0)
    _shot(page, f"start-{who}", viewport)


# --- error pages -------------------------------------------------------------------------


def test_the_three_error_pages(
    live_server: Any,
    town: World,
    context: BrowserContext,
    viewport: str,
    settings: Any,
    tuan_person: Person,
) -> None:
    settings.ROOT_URLCONF = "tests.error_urls"
    page = _sign_in_by_cookie(context, live_server.url, town.users["lan"])
    response = page.goto(f"{live_server.url}/people/{tuan_person.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Bạn không được xem hồ sơ này")).to_be_visible()
    expect(page.get_by_role("link", name="Đề nghị truy cập khẩn cấp")).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu chính")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "error-404-person", viewport)

    response = page.goto(f"{live_server.url}/audit/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Bạn không được mở trang này")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "error-403", viewport)

    response = page.goto(f"{live_server.url}/boom/")
    assert response is not None and response.status == 500
    expect(page.get_by_role("heading", name="Hệ thống đã gặp lỗi")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "error-500", viewport)

    # English when chosen.
    page.goto(f"{live_server.url}/no-such-page/")
    page.get_by_label("Ngôn ngữ").select_option("en")
    page.get_by_role("button", name="Đổi").click()
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


# --- the case form with the input that crashed it -------------------------------------------


def test_case_form_with_a_close_date_and_no_start_date(
    live_server: Any, town: World, context: BrowserContext, viewport: str, lan_person: Person
) -> None:
    page = _sign_in_by_cookie(context, live_server.url, town.users["lan"])
    page.goto(f"{live_server.url}/people/{lan_person.pk}/cases/new/")
    expect(page.get_by_label("Ngày mở")).to_have_value(f"{timezone.localdate():%d/%m/%Y}")
    page.get_by_label("Nhóm đối tượng").select_option("post_rehab")
    page.get_by_label("Trạng thái").select_option("closed")
    page.get_by_label("Ngày mở").fill("")
    page.get_by_label("Ngày đóng").fill("05/10/2026")
    page.get_by_label("Ghi chú").fill("Đã hoàn thành quản lý sau cai")
    page.get_by_role("button", name="Lưu").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#id_opened_on")
    expect(page.get_by_label("Ngày đóng")).to_have_value("05/10/2026")
    expect(page.get_by_label("Ghi chú")).to_have_value("Đã hoàn thành quản lý sau cai")
    _no_horizontal_scroll(page)
    _shot(page, "case-form-errors", viewport)
    page.get_by_label("Ngày mở").fill("01/10/2026")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã mở hồ sơ vụ việc.")).to_be_visible()
    assert Case.objects.filter(category="post_rehab", closed_on=date(2026, 10, 5)).exists()


# --- the review queue ------------------------------------------------------------------------


def test_review_queue_radios_belong_to_their_card(
    live_server: Any, town: World, context: BrowserContext, viewport: str, lan_person: Person
) -> None:
    second = Person.objects.filter(residence_commune=town.units["c2"]).first()
    assert second is not None
    for person in (lan_person, second):
        actions.emergency_access_grant(actor=town.users["tuan"], person=person, reason=REASON)
    page = _sign_in_by_cookie(context, live_server.url, town.users["hoa"])
    page.goto(f"{live_server.url}/emergency/review/")
    cards = page.get_by_test_id("review-card")
    expect(cards).to_have_count(2)
    _no_horizontal_scroll(page)
    first, other = cards.nth(0), cards.nth(1)
    other.get_by_text("Không có căn cứ", exact=True).click()
    expect(other.get_by_role("radio", name="Không có căn cứ")).to_be_checked()
    expect(first.get_by_role("radio", name="Không có căn cứ")).not_to_be_checked()
    box = other.locator("label.choice").first.bounding_box()
    assert box is not None and box["height"] >= 44
    # "Not justified" is final: without the confirmation it is not recorded.
    other.get_by_role("button", name="Ghi nhận kết quả xem xét").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    assert not EmergencyAccess.objects.filter(reviewed_at__isnull=False).exists()
    page.get_by_role("radio", name="Không có căn cứ").check()
    page.get_by_role(
        "checkbox", name=re.compile("^Tôi xác nhận: truy cập này không có căn cứ")
    ).check()
    page.get_by_role("button", name="Ghi nhận kết quả xem xét").click()
    expect(page.get_by_text("Đã ghi nhận kết quả xem xét.")).to_be_visible()
    assert EmergencyAccess.objects.filter(justified=False).count() == 1


# --- the commune officer's residents ---------------------------------------------------------


def test_commune_officer_sees_the_residents_as_cards(
    live_server: Any, town: World, context: BrowserContext, viewport: str
) -> None:
    page = _sign_in_by_cookie(context, live_server.url, town.users["minh"])
    page.goto(f"{live_server.url}/my-work/")
    residents = page.get_by_test_id("residents")
    expect(residents.get_by_role("heading", name=re.compile("Xã Một Một"))).to_be_visible()
    for name in ("Trần Thị Bình", "Sùng A Páo", "Hà Thị Nguyệt Ánh"):
        expect(residents.get_by_role("link", name=name)).to_be_visible()
    expect(residents.get_by_role("link", name="Lò Văn Hùng")).to_have_count(0)  # commune 98102
    _no_horizontal_scroll(page)


# --- every list page, no sideways scrolling ------------------------------------------------

# The start pages ("my work") are lists too; their screenshots are the start-* ones.
LIST_PAGES: list[tuple[str, str, str | None]] = [
    ("lan", "/my-work/", None),
    ("minh", "/my-work/", None),
    ("lan", "/cases/", "list-cases"),
    ("hoa", "/cases/?status=open&sort=category", "list-cases-supervisor"),
    ("hoa", "/emergency/review/", "list-emergency-review-queue"),
    ("an", "/audit/", "list-audit-events"),
    ("an", "/audit/unusual/", "list-unusual-activity"),
    ("quan", "/staff/", "list-staff"),
    ("quan", "/staff/changes/", "list-role-requests"),
]


def test_no_list_page_scrolls_sideways(
    live_server: Any, town: World, browser: Browser, viewport: str, lan_person: Person
) -> None:
    actions.emergency_access_grant(actor=town.users["tuan"], person=lan_person, reason=REASON)
    for who, path, name in LIST_PAGES:
        ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN")  # type: ignore[arg-type]
        try:
            page = _sign_in_by_cookie(ctx, live_server.url, town.users[who])
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            _no_horizontal_scroll(page)
            if name:
                _shot(page, name, viewport)
        finally:
            ctx.close()
    # Search results, person history and the case detail: lists too.
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN")  # type: ignore[arg-type]
    try:
        page = _sign_in_by_cookie(ctx, live_server.url, town.users["lan"])
        page.goto(f"{live_server.url}/people/")
        page.get_by_label("Tìm theo").select_option("name")
        page.get_by_label("Nội dung tìm kiếm").fill("Không Có Ai")
        page.get_by_role("button", name="Tìm kiếm").click()
        expect(page.get_by_test_id("search-empty")).to_be_visible()
        _no_horizontal_scroll(page)
        _shot(page, "list-search-empty", viewport)
        page.goto(f"{live_server.url}/people/{lan_person.pk}/history/")
        _no_horizontal_scroll(page)
        _shot(page, "list-person-history", viewport)
    finally:
        ctx.close()
