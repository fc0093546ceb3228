"""Journey: on a 360 px phone a caseworker uploads a register file, sees its problems by
sheet, row and column, fixes the file, checks it again, and imports it; a running import
shows its progress bar. Screenshots: ``register-import-problems.png``,
``register-import-progress.png``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import Person
from registers.models import ImportStatus, RegisterImport
from tests.browser.conftest import sign_in_by_cookie
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import person_row

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


def _send(page: Page, path: Path) -> None:
    page.get_by_label("Tệp sổ đăng ký").set_input_files(str(path))
    page.get_by_role("button", name="Gửi tệp").click()


def test_upload_problems_fix_and_import_on_a_phone(
    live_server: Any, world: World, phone_page: Page, tmp_path: Path
) -> None:
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["lan"])
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{live_server.url}/registers/import/")
    expect(page.get_by_role("heading", name="Nhập sổ đăng ký")).to_be_visible()
    _fits(page)

    bad = person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="", ngay_mo="32/01/2026")
    _send(page, xlsx(tmp_path / "so-loi.xlsx", {"nguoi_ho_so": [person_row(), bad]}))
    table = page.get_by_test_id("problem-table")
    expect(table).to_contain_text("Ngày mở hồ sơ")
    expect(table).to_contain_text("không phải là một ngày có thật")
    expect(page.get_by_test_id("run-form")).to_have_count(0)
    _fits(page)
    _shot(page, "register-import-problems")

    page.get_by_role("link", name="Quay lại danh sách nhập").click()
    bad["ngay_mo"] = "31/01/2026"
    _send(page, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row(), bad]}))
    latest = RegisterImport.objects.order_by("-created_at").first()
    assert latest is not None
    assert latest.status == ImportStatus.CHECKED, latest.report
    expect(page.get_by_test_id("import-status")).to_contain_text("Đã kiểm tra")
    assert not Person.objects.exists()
    page.get_by_role("button", name="Nhập tệp này").click()
    expect(page.get_by_test_id("import-status")).to_contain_text("Đã nhập")
    assert Person.objects.count() == 2


def test_a_running_import_shows_its_progress_bar(
    live_server: Any, world: World, phone_page: Page
) -> None:
    row = RegisterImport.objects.create(
        created_by=world.users["lan"], file_name="so.xlsx", sha256="0" * 64,
        status=ImportStatus.RUNNING, rows_done=150, rows_total=400,
    )  # fmt: skip
    page = sign_in_by_cookie(phone_page.context, live_server.url, world.users["lan"])
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{live_server.url}/registers/import/{row.pk}/")
    bar = page.get_by_test_id("import-progress")
    expect(bar).to_be_visible()
    assert bar.get_attribute("value") == "38"
    expect(page.get_by_text("Đã xử lý 150 dòng")).to_be_visible()
    _fits(page)
    _shot(page, "register-import-progress")
