"""A figures report built in the background, in Chromium at 360 px and on a desktop: the
supervisor fills the report form, asks for the large report, watches its page (which
refreshes itself with a meta refresh: no script, the CSP untouched) turn from queued to
ready when the worker has built it, and downloads the XLSX once.

Screenshot: ``var/screens/`` (``make screens`` writes the phone one to
``docs/screens/figures-report-file.png``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, expect

from reports import files
from reports.models import ReportFile
from tests.browser.test_everyday_use import _no_horizontal_scroll as _fits
from tests.browser.test_everyday_use import (  # noqa: F401 (fixtures)
    _pending_translations,  # noqa: F401 (autouse)
    _shot,
    context,
    viewport,
)
from tests.browser.test_everyday_use import _sign_in_by_cookie as _signed_in
from tests.conftest import World
from tests.reports.export_support import test_indicators  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("test_indicators"),
]
# Queued in the database and never run by itself: the test plays the worker.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DATABASE_TASKS, HOA_NHAP_REPORT_BACKGROUND_ABOVE=0)
def test_a_large_report_is_queued_built_and_downloaded(
    live_server: Any,
    world: World,
    context: BrowserContext,  # noqa: F811 (the shared fixture)
    viewport: str,  # noqa: F811
) -> None:
    page = _signed_in(context, live_server.url, world.users["hoa"])
    page.goto(f"{live_server.url}/figures/report/")
    page.get_by_role("spinbutton", name="Năm").fill("2026")
    page.get_by_role("button", name="Tải về").click()
    expect(page.get_by_test_id("report-queue")).to_contain_text("chạy nền")
    page.get_by_test_id("report-queue-submit").click()

    state = page.get_by_test_id("report-file")
    expect(state).to_have_attribute("data-status", "queued")
    expect(state).to_contain_text("Báo cáo đang chờ được lập")
    _fits(page)

    files.file_build(file_id=ReportFile.objects.get().pk)  # the worker's task
    # The page refreshes itself (every 3 s) and shows the file ready.
    expect(state).to_have_attribute("data-status", "ready", timeout=15_000)
    expect(state).to_contain_text("Báo cáo đã lập xong")
    _fits(page)
    _shot(page, "figures-report-file", viewport)

    with page.expect_download() as download:
        page.get_by_test_id("report-file-download").click()
    # openpyxl goes by the file's extension; the download's temporary path has none.
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames[0] == "Trang bìa"
    assert not ReportFile.objects.exists()
