"""The import page: upload, check, decide, import; the importer's own imports only.

Named actors from tests/conftest.py: lan (caseworker, clinic A) imports; mai is her teammate
at clinic A; an (auditor) may not import.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import Event
from cases.models import Case, Person
from registers.models import ImportStatus, RegisterImport
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import person_row


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """Run the task an upload queues after its commit (the test's transaction never commits)."""
    return partial(django_capture_on_commit_callbacks, execute=True)


def _upload(world: World, path: Path, on_commit: Callable[..., Any], *, who: str = "lan") -> Any:
    client = world.client(who)
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes()), "dry_run": "on"}
    with on_commit():
        return client.post(reverse("registers:import_start"), data)


def test_a_checked_file_is_imported_after_the_decisions(
    world: World, lan_person: Person, tmp_path: Path, on_commit: Callable[..., Any]
) -> None:
    rows = [
        person_row(),
        person_row(ma_nguoi="2", ma_ho_so="HS2", ho_ten="Tran Thi Binh", so_cccd="",
                   gioi_tinh="Nữ", nam_sinh=1991),
    ]  # fmt: skip
    response = _upload(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": rows}), on_commit)
    checked = RegisterImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("registers:import_detail", args=[checked.pk])
    assert (
        checked.status == ImportStatus.CHECKED
        and not Case.objects.exclude(person=lan_person).exists()
    )
    client = world.client("lan")
    page = client.get(reverse("registers:import_detail", args=[checked.pk])).content.decode()
    assert "Đã kiểm tra (chạy thử)" in page and lan_person.short_id in page
    assert f'name="decision-2" value="{lan_person.pk}"' in page

    undecided = client.post(reverse("registers:import_run", args=[checked.pk]))
    assert undecided.status_code == 302 and RegisterImport.objects.count() == 1
    with on_commit():
        done = client.post(
            reverse("registers:import_run", args=[checked.pk]), {"decision-2": str(lan_person.pk)}
        )
    imported = RegisterImport.objects.exclude(pk=checked.pk).get()
    assert done.url == reverse("registers:import_detail", args=[imported.pk])  # type: ignore[attr-defined]
    assert imported.status == ImportStatus.DONE and imported.decisions == {"2": str(lan_person.pk)}
    assert Person.objects.count() == 2 and lan_person.cases.count() == 2


def test_problems_are_listed_and_the_rejected_rows_download(
    world: World, tmp_path: Path, on_commit: Callable[..., Any]
) -> None:
    rows = [person_row(), person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="", ngay_mo="hôm nay")]
    _upload(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": rows}), on_commit)
    row = RegisterImport.objects.get()
    assert row.status == ImportStatus.REFUSED
    client = world.client("lan")
    page = client.get(reverse("registers:import_detail", args=[row.pk])).content.decode()
    assert "Không đọc được ngày “hôm nay”" in page and 'data-testid="run-form"' not in page
    download = client.get(reverse("registers:import_rejected", args=[row.pk]))
    assert download.status_code == 200
    [tab] = load_workbook(io.BytesIO(download.content)).worksheets
    assert [r[1] for r in tab.iter_rows(values_only=True)] == ["Mã hồ sơ (trong tệp)", "HS2"]


def test_a_teammate_cannot_open_anothers_import_and_the_refusal_is_logged(
    world: World, tmp_path: Path, on_commit: Callable[..., Any]
) -> None:
    """ASVS 8.2.2: an import (its report quotes the file) is its importer's alone."""
    _upload(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]}), on_commit)
    row = RegisterImport.objects.get()
    client = world.client("mai")
    for name in ("registers:import_detail", "registers:import_rejected"):
        assert client.get(reverse(name, args=[row.pk])).status_code == 404
    assert client.post(reverse("registers:import_run", args=[row.pk])).status_code == 404
    denials = Event.objects.filter(action="denied", actor=world.users["mai"], object_id=str(row.pk))
    assert denials.count() == 3
    assert RegisterImport.objects.count() == 1 and not Person.objects.exists()


def test_an_auditor_may_not_import_and_is_logged(
    world: World, tmp_path: Path, on_commit: Callable[..., Any]
) -> None:
    """ASVS 8.2.1."""
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]})
    response = _upload(world, path, on_commit, who="an")
    assert response.status_code == 403
    assert Event.objects.filter(action="denied", actor=world.users["an"]).exists()
    assert not RegisterImport.objects.exists()


def test_the_templates_download(world: World) -> None:
    client = world.client("lan")
    book = client.get(reverse("registers:template"))
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd")
    sheet = client.get(reverse("registers:template_csv", args=["so_cap_thuoc"]))
    assert sheet.content.decode().startswith("\ufeffMã đợt điều trị")


def test_a_bad_upload_keeps_the_form_with_its_error(world: World, tmp_path: Path) -> None:
    client = world.client("lan")
    response = client.post(
        reverse("registers:import_start"),
        {"file": SimpleUploadedFile("so.pdf", b"%PDF"), "dry_run": "on"},
    )
    assert response.status_code == 200
    assert not RegisterImport.objects.exists()


def test_an_import_whose_worker_died_shows_stopped_and_runs_again(
    world: World, tmp_path: Path, on_commit: Callable[..., Any], settings: Any
) -> None:
    """Regression (issue 27): an import killed with its worker stayed "running" forever and
    its page kept reloading. Silent for REGISTER_IMPORT_STALLED_MINUTES, it shows stopped,
    with a button that queues it again; a teammate cannot (ASVS 8.2.2, a denial event)."""
    import datetime

    from django.utils import timezone

    settings.REGISTER_IMPORT_STALLED_MINUTES = 10
    _upload(world, xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]}), on_commit)
    row = RegisterImport.objects.get()
    # The worker died mid-run: the row still says running, its last progress long ago.
    RegisterImport.objects.filter(pk=row.pk).update(
        status=ImportStatus.RUNNING,
        progress_at=timezone.now() - datetime.timedelta(minutes=11),
    )
    client = world.client("lan")
    url = reverse("registers:import_detail", args=[row.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="import-stopped"' in page and "import-progress.js" not in page
    # Recent progress: still running, the page refreshes itself, no way to run it twice.
    RegisterImport.objects.filter(pk=row.pk).update(progress_at=timezone.now())
    page = client.get(url).content.decode()
    assert 'data-testid="import-stopped"' not in page and "import-progress.js" in page
    assert client.post(reverse("registers:import_retry", args=[row.pk])).status_code == 302
    assert RegisterImport.objects.count() == 1  # refused: not stopped

    RegisterImport.objects.filter(pk=row.pk).update(
        progress_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert (
        world.client("mai").post(reverse("registers:import_retry", args=[row.pk])).status_code
        == 404
    )
    assert Event.objects.filter(action="denied", actor=world.users["mai"]).exists()
    with on_commit():
        again = client.post(reverse("registers:import_retry", args=[row.pk]))
    second = RegisterImport.objects.exclude(pk=row.pk).get()
    assert again.url == reverse("registers:import_detail", args=[second.pk])  # type: ignore[attr-defined]
    assert second.status == ImportStatus.CHECKED and second.dry_run
    row.refresh_from_db()
    assert row.status == ImportStatus.FAILED and not row.stalled


def test_a_stored_upload_is_sealed_and_removed_after_its_import_or_expiry(
    world: World, tmp_path: Path, on_commit: Callable[..., Any], settings: Any
) -> None:
    """ASVS 14.2.4 / 11.6.1: an uploaded register (a list of the most sensitive people) was
    kept in clear in REGISTER_IMPORT_DIR. It is sealed under a data key of its own, wrapped
    by the key ring; a written import's file is removed, a checked one after its expiry."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from registers import storage

    settings.REGISTER_IMPORT_DIR = str(tmp_path / "imports")
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]})
    _upload(world, path, on_commit)
    checked = RegisterImport.objects.get()
    stored = storage.path_of(str(checked.pk)).read_bytes()
    assert b"001090000011" not in stored and b"PK" not in stored[:4]
    assert not zipfile.is_zipfile(io.BytesIO(stored))  # the workbook cannot be opened
    assert "001090000011".encode("utf-16-le") not in stored
    assert storage.load(str(checked.pk), checked.data_key).data == path.read_bytes()
    with connection.cursor() as cursor:  # the data key itself is wrapped by the key ring
        cursor.execute(
            "SELECT data_key FROM registers_registerimport WHERE id = %s", [checked.pk.hex]
            if connection.vendor == "sqlite" else [checked.pk],
        )  # fmt: skip
        assert cursor.fetchone()[0] != checked.data_key
    # The real run reads the sealed file; once written, its file is gone.
    client = world.client("lan")
    with on_commit():
        client.post(reverse("registers:import_run", args=[checked.pk]))
    imported = RegisterImport.objects.exclude(pk=checked.pk).get()
    assert imported.status == ImportStatus.DONE and Person.objects.count() == 1
    assert not storage.exists(str(imported.pk)) and storage.exists(str(checked.pk))
    # The checked file stays for REGISTER_IMPORT_KEEP_HOURS, then goes.
    settings.REGISTER_IMPORT_KEEP_HOURS = 24
    assert storage.discard_expired() == 0
    later = timezone.now() + datetime.timedelta(hours=25)
    assert storage.discard_expired(now=later) == 1 and not storage.exists(str(checked.pk))
