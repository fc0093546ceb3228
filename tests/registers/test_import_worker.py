"""An import runs on a real background worker; killed mid-write it leaves nothing (issue 27).

A real ``manage.py db_worker`` process takes the queued import; once its progress shows it
writing (the second pass, inside the one transaction), the test kills it with SIGKILL: no
handler, no clean-up. Nothing of the file is in the database, and running the import again
succeeds. Named actors from tests/conftest.py: lan imports.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess  # nosec B404: runs this project's own manage.py
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from audit.models import Event
from cases.models import Case, Person
from registers.events import REGISTER_IMPORTED
from registers.models import ImportStatus, RegisterImport
from registers.uploads import import_queue
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import person_row

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 300
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (another process's connection)"
)


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


def _worker(mail_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "HOA_NHAP_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "HOA_NHAP_TEST_MAIL_DIR": str(mail_dir),
    }
    args = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    return subprocess.Popen(  # noqa: S603  # nosec B603: our manage.py, no shell
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait(condition: Callable[[], bool], seconds: float = 180) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _many_people(path: Path) -> Path:
    rows = [
        person_row(ma_nguoi=str(n), ma_ho_so=f"HS{n}", so_cccd="", ho_ten=f"Người Thử {n}")
        for n in range(1, PEOPLE + 1)
    ]
    return xlsx(path, {"nguoi_ho_so": rows})


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_leaves_nothing_and_a_rerun_succeeds(
    world: World, tmp_path: Path
) -> None:
    path = _many_people(tmp_path / "so.xlsx")
    with override_settings(TASKS=DATABASE_TASKS), path.open("rb") as handle:
        row = import_queue(
            actor=world.users["lan"], source=handle, file_name="so.xlsx", dry_run=False,
            decisions={},
        )  # fmt: skip

    worker = _worker(tmp_path)
    try:
        # Progress past the file's rows: the first pass is over, the writing has begun.
        writing = _wait(lambda: RegisterImport.objects.get(pk=row.pk).rows_done > PEOPLE)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=60)
    assert writing, "the worker never reached the writing pass"
    assert worker.returncode == -signal.SIGKILL
    row.refresh_from_db()
    assert row.status == ImportStatus.RUNNING and row.rows_done > PEOPLE
    # The killed transaction wrote nothing: no person, no case, no history, no import event.
    assert not Person.objects.exists() and not Case.objects.exists()
    assert not Person.history.exists()
    assert not Event.objects.filter(action=REGISTER_IMPORTED).exists()

    out = io.StringIO()
    call_command("import_register", str(path), "--user", "lan", "--timeout", "120", stdout=out)
    assert f"imported: {PEOPLE} rows" in out.getvalue()
    assert Person.objects.count() == PEOPLE and Case.objects.count() == PEOPLE
    assert Event.objects.filter(action=REGISTER_IMPORTED).count() == 1
