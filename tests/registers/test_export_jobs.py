"""A large export on the worker: a run cut short leaves no file, and running it again works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cases.models import Person
from registers import export_jobs
from registers.export_models import ExportStatus, RegisterExport
from registers.export_scope import scope_for
from tests.conftest import World

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for the worker's death (SIGKILL) after part of the file was written."""


def test_a_run_cut_short_leaves_no_file_and_a_rerun_writes_it_whole(
    world: World,
    lan_person: Person,
    tuan_person: Person,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.REGISTER_EXPORT_DIR = tmp_path
    hoa = world.users["hoa"]
    row = export_jobs.register_export_queue(
        actor=hoa, scope=scope_for(hoa, "unit", "98"), out_format="xlsx"
    )

    def dies_after_writing(**kwargs: Any) -> Any:
        kwargs["out"].write(b"PK half a file")
        raise WorkerKilled

    # The worker dies inside the writing step: the module's own name for it is replaced.
    monkeypatch.setattr(export_jobs, "register_export", dies_after_writing)
    with pytest.raises(WorkerKilled):
        export_jobs.register_export_run(export_id=str(row.pk))
    row.refresh_from_db()
    assert row.status == ExportStatus.FAILED
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary part

    monkeypatch.undo()
    assert export_jobs.register_export_run(export_id=str(row.pk)) == 2
    row.refresh_from_db()
    assert row.status == ExportStatus.DONE
    assert b"".join(export_jobs.register_export_file(actor=hoa, export=row)).startswith(b"PK")
    row.status = ExportStatus.DONE  # the download removed it; run again for what follows
    assert export_jobs.register_export_run(export_id=str(row.pk)) == 2
    assert [p.name for p in tmp_path.iterdir()] == [row.path.name]


def test_a_user_who_lost_the_area_since_asking_gets_a_failed_export(
    world: World, lan_person: Person, settings: Any, tmp_path: Path
) -> None:
    """ASVS 8.2.2: the scope is checked again when the task runs, and the refusal logged."""
    from audit.models import Event
    from cases.models import StaffProfile
    from cases.roles import staff_profile_save

    settings.REGISTER_EXPORT_DIR = tmp_path
    minh = world.users["minh"]
    row = export_jobs.register_export_queue(
        actor=minh, scope=scope_for(minh, "unit", "98101"), out_format="csv"
    )
    profile = StaffProfile.objects.get(user=minh)
    profile.scope_unit = world.units["c2"]  # a smaller change applies at once
    staff_profile_save(actor=None, profile=profile)
    assert export_jobs.register_export_run(export_id=str(row.pk)) == 0
    row.refresh_from_db()
    assert row.status == ExportStatus.FAILED and not row.path.exists()
    assert Event.objects.filter(action="denied", actor=minh, object_id="98101").count() == 1
    assert not Event.objects.filter(action="register_exported").exists()
    assert RegisterExport.objects.count() == 1


def test_a_finished_export_is_sealed_at_rest_and_removed_once_downloaded(
    world: World, lan_person: Person, tuan_person: Person, settings: Any, tmp_path: Path
) -> None:
    """ASVS 14.2.4 / 11.6.1: a finished export (a register of the most sensitive people) lay
    in clear in REGISTER_EXPORT_DIR until removed by hand. It is sealed in chunks as it is
    written, under a data key the key ring wraps; a changed file does not open; the file is
    removed once downloaded, or after REGISTER_EXPORT_KEEP_HOURS."""
    import datetime
    import io
    import zipfile

    from django.utils import timezone

    from core.crypto import DecryptionError
    from registers import storage

    settings.REGISTER_EXPORT_DIR = tmp_path
    hoa = world.users["hoa"]
    row = export_jobs.register_export_queue(
        actor=hoa, scope=scope_for(hoa, "unit", "98"), out_format="csv"
    )
    assert export_jobs.register_export_run(export_id=str(row.pk)) == 2
    row.refresh_from_db()
    stored = row.path.read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(stored)) and b"PK" not in stored[:4]
    assert b"010191000123" not in stored and "Bình".encode() not in stored
    # One byte changed: the file does not open.
    changed = tmp_path / "changed"
    changed.write_bytes(stored[:-1] + bytes([stored[-1] ^ 1]))
    with pytest.raises(DecryptionError):
        list(storage.unsealed_chunks(changed, data_key=row.data_key, export_id=row.pk))
    changed.unlink()
    body = b"".join(export_jobs.register_export_file(actor=hoa, export=row))
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "Trần Thị Bình" in archive.read("nguoi_ho_so.csv").decode("utf-8-sig")
    assert not row.path.exists()  # handed over: removed
    # A file never downloaded goes after its expiry.
    assert export_jobs.register_export_run(export_id=str(row.pk)) == 2
    settings.REGISTER_EXPORT_KEEP_HOURS = 24
    assert storage.discard_expired_exports() == 0
    later = timezone.now() + datetime.timedelta(hours=25)
    assert storage.discard_expired_exports(now=later) == 1 and not row.path.exists()
