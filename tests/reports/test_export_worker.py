"""A real ``manage.py db_worker`` builds a queued figures report (decision D38).

The page queues the task on commit (ids only); a worker process started here against the
test database builds the file for the requester, who then downloads it once. The worker
runs the real indicators over the test world.
"""

from __future__ import annotations

import io
import os
import subprocess  # nosec B404: runs this project's own manage.py
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from audit.models import Event
from reports.models import ReportFile
from tests.conftest import World
from tests.notifications.test_mail_worker import (
    DATABASE_TASKS,
    ROOT,
    _database_url,
    _wait,
    needs_postgresql,
)


def _worker(tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "HOA_NHAP_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "HOA_NHAP_TEST_MAIL_DIR": str(tmp_path),
    }
    args = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    return subprocess.Popen(  # noqa: S603  # nosec B603: our manage.py, no shell
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queued_then_built_by_a_real_worker_then_downloaded(
    world: World, tmp_path: Path, settings: Any
) -> None:
    settings.HOA_NHAP_REPORT_BACKGROUND_ABOVE = 0
    client = world.client("hoa")
    params = {
        "unit": str(world.units["province"].pk),
        "format": "xlsx",
        "period_kind": "year",
        "year": "2026",
        "breakdowns": "sex",
    }
    query = "&".join(f"{k}={v}" for k, v in params.items())
    with override_settings(TASKS=DATABASE_TASKS):
        asked = client.post(f"/figures/report/queue/?{query}")
    assert asked.status_code == 302
    row = ReportFile.objects.get()
    assert row.status == "queued"
    page = client.get(asked["Location"]).content.decode()
    assert 'data-status="queued"' in page

    worker = _worker(tmp_path)
    try:
        built = _wait(lambda: ReportFile.objects.get(pk=row.pk).status in ("ready", "failed"))
    finally:
        worker.terminate()
        _out, err = worker.communicate(timeout=30)
    assert built, err
    row.refresh_from_db()
    assert row.status == "ready", err
    assert row.done == row.total > 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert 'data-status="ready"' in client.get(asked["Location"]).content.decode()

    response = client.post(f"/figures/report/files/{row.pk}/download/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cover = {r[0]: r[1] for r in book["Trang bìa"].iter_rows(values_only=True) if len(r) > 1}
    assert cover["Đơn vị"] == "Tỉnh Kiểm Thử"
    assert cover["Kỳ báo cáo"] == "6 tháng đầu năm 2026; 6 tháng cuối năm 2026; Năm 2026"
    event = Event.objects.get(action="figures_report_exported")
    assert event.actor == world.users["hoa"] and event.detail["built_in_background"]
    assert not ReportFile.objects.exists()
