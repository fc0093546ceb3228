"""Journey: on a 360 px phone a commune officer exports his commune's register (a small one,
sent at once), and a supervisor exports the province's (a large one, written by the worker:
the progress page, then the download). Screenshots: ``register-export.png``,
``register-export-ready.png``.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from audit.models import Event
from cases.models import Person
from tests.browser.conftest import sign_in_by_cookie
from tests.conftest import World

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


def _phone(browser: Browser, live_server: Any, user: Any) -> Page:
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
    page = sign_in_by_cookie(context, live_server.url, user)
    page.set_default_timeout(15_000)
    return page


def test_a_commune_and_a_province_register_are_exported_on_a_phone(
    live_server: Any,
    world: World,
    lan_person: Person,
    tuan_person: Person,
    browser: Browser,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.REGISTER_EXPORT_DIR = tmp_path
    page = _phone(browser, live_server, world.users["minh"])
    page.goto(f"{live_server.url}/registers/export/")
    expect(page.get_by_role("heading", name="Xuất sổ đăng ký")).to_be_visible()
    page.get_by_label("Sổ đăng ký của một địa bàn (người cư trú tại đó)").check()
    page.get_by_label("Địa bàn", exact=True).select_option("98101")
    page.get_by_label("CSV (tệp ZIP, mỗi trang một tệp)").check()
    _fits(page)
    _shot(page, "register-export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Xuất").click()
    body = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        people = archive.read("nguoi_ho_so.csv").decode("utf-8-sig")
    assert "Trần Thị Bình" in people and "Lê Văn Cường" not in people
    page.context.close()

    # The province's register is "large" here: it goes to the worker (run at once in tests).
    settings.REGISTER_EXPORT_INLINE_PEOPLE = 1
    page = _phone(browser, live_server, world.users["hoa"])
    page.goto(f"{live_server.url}/registers/export/")
    page.get_by_label("Địa bàn", exact=True).select_option("98")
    page.get_by_role("button", name="Xuất").click()
    status = page.locator("[data-testid=export-status]")
    expect(status).to_have_attribute("data-status", "done")
    expect(page.locator("[data-testid=export-progress]")).to_have_attribute("value", "2")
    _fits(page)
    _shot(page, "register-export-ready")
    with page.expect_download() as info:
        page.locator("[data-testid=export-download]").click()
    assert info.value.suggested_filename.startswith("so-dang-ky-unit-98-")
    assert Event.objects.filter(action="register_export_downloaded").count() == 1
    page.context.close()
