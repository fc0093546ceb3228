"""Journey: a commune officer sets up two-step sign-in on a phone, then uses a backup code."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django_otp.oath import totp as totp_at
from playwright.sync_api import Page, expect

from accounts import totp
from accounts.models import BackupCode, BackupCodeDevice, TOTPDevice
from tests.browser.conftest import open_menu
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ENROL_HEADING = "Thiết lập đăng nhập hai bước"
VERIFY_HEADING = "Bước hai: mã xác thực"
SEARCH_HEADING = "Tìm người được hỗ trợ"


def _no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def _path(page: Page) -> str:
    return "/" + page.url.split("/", 3)[3].split("?")[0]


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _log_out(page: Page) -> None:
    open_menu(page).get_by_role("button", name=re.compile(r"^Đăng xuất")).click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()


def _wrong_code(secret: str) -> str:
    """Return a 6-digit code that no step within the accepted clock drift produces."""
    key = base64.b32decode(secret)
    near = {f"{totp_at(key, drift=drift):06d}" for drift in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def _stored(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [str(row[0]) for row in cursor.fetchall()]


def test_first_login_enrols_an_authenticator_and_backup_codes_work_once(
    live_server: Any, world: World, phone_page: Page
) -> None:
    page = phone_page
    minh = world.users["minh"]
    search_path = reverse("cases:person_search")
    start_path = reverse("cases:my_work")

    # First login: no authenticator yet, so the enrolment page comes straight after the password.
    _log_in(page, live_server.url, "minh")
    expect(page.get_by_role("heading", name=ENROL_HEADING)).to_be_visible()
    assert _path(page) == reverse("accounts:otp_enrol")
    expect(page.locator(".qr svg")).to_be_visible()
    _no_horizontal_scroll(page)
    shown = page.get_by_test_id("otp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", shown), shown
    secret = shown.replace(" ", "")

    # A wrong code is explained in Vietnamese; the user stays on the same enrolment.
    page.get_by_label("Mã xác thực").fill(_wrong_code(secret))
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator(".has-error p.error")).to_have_text(
        "Mã không đúng. Hãy quét lại mã QR và thử lại."
    )
    expect(page.get_by_role("heading", name=ENROL_HEADING)).to_be_visible()
    assert _path(page) == reverse("accounts:otp_enrol")
    expect(page.get_by_test_id("otp-secret")).to_have_text(shown)
    expect(page.locator(".qr svg")).to_be_visible()
    _no_horizontal_scroll(page)
    assert not TOTPDevice.objects.filter(user=minh, confirmed=True).exists()

    # django-otp throttles a device for 1 s after a failure; a person cannot retype faster.
    page.wait_for_timeout(1_100)
    page.get_by_label("Mã xác thực").fill(totp.code(shown))
    page.get_by_role("button", name="Xác nhận").click()

    expect(page.get_by_role("heading", name="Mã dự phòng của bạn")).to_be_visible()
    _no_horizontal_scroll(page)
    codes = page.get_by_test_id("backup-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code), code

    device = TOTPDevice.objects.get(user=minh)
    assert device.confirmed
    assert device.secret == secret
    assert BackupCodeDevice.objects.get(user=minh).remaining() == 10

    # Neither the authenticator's secret nor any backup code is stored in plaintext.
    stored_secrets = _stored("SELECT secret FROM accounts_totpdevice")
    assert len(stored_secrets) == 1
    for value in stored_secrets:
        assert secret not in value
        assert secret.lower() not in value.lower()
        assert shown not in value
    stored_codes = _stored("SELECT digest FROM accounts_backupcode")
    assert len(stored_codes) == 10
    for code in codes:
        for form in (code, code.replace("-", "")):
            assert all(form not in value for value in stored_codes), form

    page.get_by_role("link", name="Tôi đã lưu lại — tiếp tục").click()
    # A commune officer's start page: "my work".
    expect(page).to_have_url(re.compile(re.escape(start_path) + "$"))
    _no_horizontal_scroll(page)

    # Second login: enrolled, so the verify page (not enrolment) asks for a code. The
    # authenticator's code was just used in this 30 s step, so a backup code is used instead.
    _log_out(page)
    _log_in(page, live_server.url, "minh")
    expect(page.get_by_role("heading", name=VERIFY_HEADING)).to_be_visible()
    expect(page.get_by_role("heading", name=ENROL_HEADING)).to_have_count(0)
    assert _path(page) == reverse("accounts:otp_verify")
    _no_horizontal_scroll(page)
    used = codes[3]
    page.get_by_label("Mã xác thực").fill(used)
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page).to_have_url(re.compile(re.escape(start_path) + "$"))
    assert BackupCodeDevice.objects.get(user=minh).remaining() == 9
    assert BackupCode.objects.filter(used_at__isnull=False).count() == 1

    # Third login: the same backup code is refused, and the user stays on the verify page.
    _log_out(page)
    _log_in(page, live_server.url, "minh")
    expect(page.get_by_role("heading", name=VERIFY_HEADING)).to_be_visible()
    page.get_by_label("Mã xác thực").fill(used)
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator(".has-error p.error")).to_contain_text("Mã không đúng.")
    expect(page.get_by_role("heading", name=VERIFY_HEADING)).to_be_visible()
    assert _path(page) == reverse("accounts:otp_verify")
    _no_horizontal_scroll(page)
    assert BackupCodeDevice.objects.get(user=minh).remaining() == 9

    # Still not past the second factor: a case page sends the user back to the verify page.
    page.goto(f"{live_server.url}{search_path}")
    expect(page.get_by_role("heading", name=VERIFY_HEADING)).to_be_visible()
    expect(page.get_by_role("heading", name=SEARCH_HEADING)).to_have_count(0)
