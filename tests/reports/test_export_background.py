"""The figures report built in the background (issue 25, decision D38).

A report above ``HOA_NHAP_REPORT_BACKGROUND_ABOVE`` tables × row units is not built in the
request: the page asks for it (POST), the worker's task (ids only) builds it for the
requester, and the requester downloads it once from its page. Tasks run at once here
(tests/settings.py's immediate backend, on commit); tests/reports/test_export_worker.py
runs a real ``db_worker``.

Figures come from the test indicators of tests/reports/export_support.py (province 98).
hoa supervises the province; binh (tests/reports/plan_fixtures.py) is a supervisor too, of
district 981: the same role in another unit.
"""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from accounts.models import User
from audit.models import Event
from cases.models import StaffProfile
from reports import files, registry
from reports.models import ReportFile
from reports.registry import Indicator, Query, Result
from tests.conftest import World, signed_in_client
from tests.reports.export_support import test_indicators  # noqa: F401

pytestmark = pytest.mark.usefixtures("test_indicators")

URL = "/figures/report/"
QUEUE = "/figures/report/queue/"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _every_report_in_the_background(settings: Any) -> None:
    settings.HOA_NHAP_REPORT_BACKGROUND_ABOVE = 0


def _params(world: World, **extra: str) -> dict[str, str]:
    return {
        "unit": str(world.units["province"].pk),
        "format": "xlsx",
        "period_kind": "half_year",
        "year": "2026",
        "half": "1",
        **extra,
    }


def _ask(client: Client, world: World, capture: Capture, **extra: str) -> ReportFile:
    """Ask for the report as the page does (the form, then its POST); run the task."""
    params = _params(world, **extra)
    form = client.get(URL, params)
    assert form.status_code == 200
    assert b'data-testid="report-queue"' in form.content
    with capture(execute=True):
        response = client.post(QUEUE + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert response.status_code == 302
    row = ReportFile.objects.get()
    assert response["Location"] == f"/figures/report/files/{row.pk}/"
    return row


def _page(client: Client, row: ReportFile) -> str:
    response = client.get(f"/figures/report/files/{row.pk}/")
    assert response.status_code == 200
    return str(response.content.decode())


def _download(client: Client, row: ReportFile) -> Any:
    return client.post(f"/figures/report/files/{row.pk}/download/")


def _raw_body(row: ReportFile) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM reports_reportfile WHERE id = %s", [row.pk])
        found = cursor.fetchone()
    return None if found is None else found[0]


def test_a_small_report_is_still_sent_at_once(world: World, settings: Any) -> None:
    settings.HOA_NHAP_REPORT_BACKGROUND_ABOVE = 100  # the province: 3 rows × 3 tables
    response = world.client("hoa").get(URL, _params(world))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="figures-98-')
    assert not ReportFile.objects.exists()


@override_settings(TASKS=DATABASE_TASKS)
def test_the_request_queues_only_an_id_and_the_page_waits(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    """The task table is stored in clear: it holds the file's id and nothing else."""
    client = world.client("hoa")
    row = _ask(client, world, django_capture_on_commit_callbacks, breakdowns="sex")
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "reports.tasks.report_file_build"
    assert task.args_kwargs == {"args": [str(row.pk)], "kwargs": {}}
    assert "Tỉnh Kiểm Thử" not in json.dumps(task.args_kwargs)
    row.refresh_from_db()
    assert row.status == "queued" and row.requester == world.users["hoa"]
    page = _page(client, row)
    assert 'data-status="queued"' in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Báo cáo đang chờ được lập" in page
    # Nothing built, nothing exported yet.
    assert _raw_body(row) is None
    assert not Event.objects.filter(action="figures_report_exported").exists()


def test_built_then_downloaded_once_by_the_requester(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    """The file is stored encrypted; the download is the export event, and deletes it."""
    client = world.client("hoa")
    row = _ask(client, world, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert (row.status, row.done, row.total) == ("ready", 4, 4)  # 3 indicators + suppression
    raw = _raw_body(row)
    assert raw is not None and raw.startswith("v1$")  # ciphertext, never the file
    assert "UEsDB" not in raw  # not the base64 of a zip (an XLSX) in clear
    page = _page(client, row)
    assert 'data-status="ready"' in page and "http-equiv" not in page
    assert not Event.objects.filter(action="figures_report_exported").exists()

    response = _download(client, row)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="figures-98-')
    book = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in book["Nhóm A"].iter_rows(values_only=True)]
    assert next(r for r in rows if r and r[0] == "Huyện Một")[1] == 3  # exact for hoa
    event = Event.objects.get(action="figures_report_exported")
    assert event.actor == world.users["hoa"]
    assert event.object_id == str(world.units["province"].pk)
    assert event.detail["built_in_background"] == str(row.pk)
    assert event.detail["periods"] == [["2026-01-01", "2026-06-30"]]
    assert not ReportFile.objects.exists()  # deleted once downloaded
    assert _download(client, row).status_code == 404


def test_another_supervisor_cannot_see_or_download_the_file(
    world: World, binh: User, django_capture_on_commit_callbacks: Capture
) -> None:
    """ASVS 8.2.2: binh, a supervisor of district 981, asks for hoa's file by its id: its
    page and its download are refused like a file that does not exist (404), each attempt
    is recorded as a denial, and the file stays for hoa."""
    row = _ask(world.client("hoa"), world, django_capture_on_commit_callbacks)
    attacker = signed_in_client(binh)
    assert attacker.get(f"/figures/report/files/{row.pk}/").status_code == 404
    assert _download(attacker, row).status_code == 404
    restart = attacker.post(f"/figures/report/files/{row.pk}/restart/")
    assert restart.status_code == 404
    denials = Event.objects.filter(action="denied", actor=binh, object_type="reportfile")
    assert denials.count() == 3
    assert {e.object_id for e in denials} == {str(row.pk)}
    assert not Event.objects.filter(action="figures_report_exported").exists()
    assert ReportFile.objects.get(pk=row.pk).status == "ready"
    assert _download(world.client("hoa"), row).status_code == 200


def test_a_narrowed_scope_is_refused_at_download_and_the_file_deleted(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    """ASVS 8.2.2: hoa asked as the province's supervisor; moved to district 981 before
    downloading, she may no longer take a file with the province's exact figures."""
    client = world.client("hoa")
    row = _ask(client, world, django_capture_on_commit_callbacks)
    StaffProfile.objects.filter(user=world.users["hoa"]).update(scope_unit=world.units["d1"])
    assert _download(client, row).status_code == 403
    denial = Event.objects.get(action="denied", object_type="reportfile")
    assert denial.actor == world.users["hoa"] and denial.detail["reason"] == "scope_changed"
    assert not ReportFile.objects.exists()
    assert not Event.objects.filter(action="figures_report_exported").exists()


@override_settings(TASKS=DATABASE_TASKS)
def test_a_scope_changed_before_the_build_fails_with_a_message(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    client = world.client("hoa")
    row = _ask(client, world, django_capture_on_commit_callbacks)
    StaffProfile.objects.filter(user=world.users["hoa"]).update(scope_unit=world.units["d1"])
    files.file_build(file_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.failure) == ("failed", "scope")
    assert _raw_body(row) is None
    assert "phạm vi số liệu của bạn đã thay đổi" in _page(client, row)


def test_an_expired_file_is_deleted_and_not_sent(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    client = world.client("hoa")
    row = _ask(client, world, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.expires_at <= timezone.now() + datetime.timedelta(minutes=60)
    ReportFile.objects.filter(pk=row.pk).update(expires_at=timezone.now() - _SECOND)
    response = _download(client, row)
    assert response.status_code == 302 and response["Location"] == URL
    assert not ReportFile.objects.exists()
    assert not Event.objects.filter(action="figures_report_exported").exists()
    followed = client.get(URL)
    assert "Báo cáo đã hết hạn trước khi được tải về." in followed.content.decode()


def test_expired_files_are_purged_when_another_is_asked(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    client = world.client("hoa")
    old = _ask(client, world, django_capture_on_commit_callbacks)
    ReportFile.objects.filter(pk=old.pk).update(expires_at=timezone.now() - _SECOND)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(QUEUE + "?" + "&".join(f"{k}={v}" for k, v in _params(world).items()))
    assert not ReportFile.objects.filter(pk=old.pk).exists()
    assert ReportFile.objects.count() == 1


_SECOND = datetime.timedelta(seconds=1)


def _broken(query: Query) -> Result:
    raise RuntimeError("the database went away")


# Last of the report's indicators (group test_b, after TEST_VICTIMS): some steps are done.
_BROKEN = Indicator("TEST_BROKEN", "Broken", "test_b", "count", _broken, order=99)


@pytest.fixture
def broken_indicator() -> Iterator[None]:
    registry.register(_BROKEN)
    yield
    registry.unregister("TEST_BROKEN")


def test_a_failed_build_says_so_keeps_nothing_and_can_be_built_again(
    world: World, broken_indicator: None, django_capture_on_commit_callbacks: Capture
) -> None:
    client = world.client("hoa")
    _ask(client, world, django_capture_on_commit_callbacks)  # the task fails, not the page
    row = ReportFile.objects.get()
    assert (row.status, row.failure) == ("failed", "error")
    assert 0 < row.done < row.total  # it died mid-way, after some steps
    assert _raw_body(row) is None  # nothing half-written
    page = _page(client, row)
    assert 'data-status="failed"' in page and "http-equiv" not in page
    assert "Không lập được báo cáo do lỗi của hệ thống" in page
    assert _download(client, row).status_code == 302  # not ready: back to its page

    registry.unregister("TEST_BROKEN")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            restarted = client.post(f"/figures/report/files/{row.pk}/restart/")
    finally:
        registry.register(_BROKEN)
    assert restarted.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.failure) == ("ready", "")
    assert _download(client, row).status_code == 200


def test_a_build_stopped_with_its_worker_is_shown_stopped_and_built_again(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    """A worker killed mid-build leaves the row building, without a body, and its progress
    stops moving: the page says it stopped and offers to build it again."""
    client = world.client("hoa")
    with override_settings(TASKS=DATABASE_TASKS):  # queued, never run: as if the worker died
        row = _ask(client, world, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - datetime.timedelta(minutes=files.STALLED_MINUTES + 1)
    ReportFile.objects.filter(pk=row.pk).update(status="building", done=1, updated_at=long_ago)
    page = _page(client, row)
    assert 'data-status="stalled"' in page and "http-equiv" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/figures/report/files/{row.pk}/restart/")
    row.refresh_from_db()
    assert row.status == "ready"


def test_the_database_refuses_a_ready_file_without_a_body_and_a_body_before_ready(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        row = _ask(world.client("hoa"), world, django_capture_on_commit_callbacks)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFile.objects.filter(pk=row.pk).update(status="ready")
    ready = ReportFile.objects.get(pk=row.pk)
    ready.body = "half a file"
    with pytest.raises(IntegrityError), transaction.atomic():
        ready.save()
