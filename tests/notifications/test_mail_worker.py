"""Notification e-mail goes out from the background worker (django.tasks + django-tasks-db).

Issue 27: the request only stores the notifications and queues a task holding their ids; a
real ``manage.py db_worker`` process reads the addresses and the text when it runs, sends, and
marks each notification e-mailed. A worker killed mid-task leaves each notification sent and
marked or still due, and a re-run sends the due ones only.

Named actors from tests/conftest.py: lan, tuan and hoa receive; minh sends.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess  # nosec B404: runs this project's own manage.py
import sys
import time
import urllib.request
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from notifications import verbs
from notifications.actions import notify
from notifications.mail import MailNotSent, mail_send
from notifications.models import Notification
from tests.conftest import World

PING = verbs.register("test_worker_ping", _("Test notification"))
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ROOT = Path(__file__).resolve().parents[2]
TEXT = "Referral #AB12CD34 waits for your answer"
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (another process's connection)"
)


def _file_mailer(directory: Path) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "tests.mail_backends.FileMailer",
            "OPTIONS": {"file_path": str(directory)},
        }
    }


def _give_addresses(world: World, *names: str, domain: str = "example.org") -> list[User]:
    users = []
    for name in names:
        user = world.users[name]
        user.email = f"{name}@{domain}"
        User.objects.filter(pk=user.pk).update(email=user.email)
        users.append(user)
    return users


def _notify(world: World, recipients: list[User]) -> list[Notification]:
    with transaction.atomic():
        sent = notify(
            actor=world.users["minh"],
            recipients=recipients,
            verb=PING,
            text=TEXT,
            url="/cases/",
        )
    return sent


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


def _manage(*args: str, mail_dir: Path, die_at: int = 0) -> subprocess.Popen[str]:
    """Start ``manage.py ARGS`` against the test database with the file mailer."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "HOA_NHAP_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "HOA_NHAP_TEST_MAIL_DIR": str(mail_dir),
        "HOA_NHAP_TEST_MAIL_DIE_AT": str(die_at),
    }
    return subprocess.Popen(  # noqa: S603  # nosec B603: our manage.py, no shell
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _worker(mail_dir: Path, *, batch: bool, die_at: int = 0) -> subprocess.Popen[str]:
    args = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    return _manage(*args, *(["--batch"] if batch else []), mail_dir=mail_dir, die_at=die_at)


def _mails(directory: Path) -> list[tuple[str, str]]:
    """Return (recipient, body) of every message the file mailer wrote."""
    found = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk.strip())
                payload = message.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found.append((str(message["To"]), payload.decode()))
    return found


def _wait(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@override_settings(TASKS=DATABASE_TASKS)
def test_the_request_queues_only_ids_and_sends_nothing(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any], tmp_path: Path
) -> None:
    """The task row is stored in clear: it holds the notifications' ids, no address, no text."""
    lan, tuan = _give_addresses(world, "lan", "tuan")
    with (
        override_settings(MAILERS=_file_mailer(tmp_path)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = _notify(world, [lan, tuan])
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "notifications.tasks.notification_mail"
    assert sorted(row.args_kwargs["args"][0]) == sorted(str(n.pk) for n in sent)
    stored = json.dumps(row.args_kwargs)
    for secret in ("lan@example.org", "tuan@example.org", TEXT, "/cases/"):
        assert secret not in stored
    assert _mails(tmp_path) == []  # nothing went out inside the request
    assert all(n.email_due and n.emailed_at is None for n in Notification.objects.all())


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_sends_the_mail_and_marks_it(world: World, tmp_path: Path) -> None:
    lan, tuan = _give_addresses(world, "lan", "tuan")
    worker = _worker(tmp_path, batch=False)
    try:
        with override_settings(TASKS=DATABASE_TASKS, MAILERS=_file_mailer(tmp_path)):
            sent = _notify(world, [lan, tuan])  # committed: on_commit queues the task
        assert _wait(lambda: not Notification.objects.filter(email_due=True).exists())
    finally:
        worker.terminate()
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    mails = _mails(tmp_path)
    assert sorted(to for to, _body in mails) == ["lan@example.org", "tuan@example.org"]
    assert all(TEXT in body for _to, body in mails)
    for notification in Notification.objects.filter(pk__in=[n.pk for n in sent]):
        assert not notification.email_due and notification.emailed_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_task_leaves_nothing_half_written_and_a_rerun_sends_once(
    world: World, tmp_path: Path
) -> None:
    """SIGKILL while sending the second of three: the first is sent and marked, the other
    two are still due (the killed transaction wrote nothing); a re-run sends those two and
    never the first again."""
    recipients = _give_addresses(world, "lan", "tuan", "hoa")
    with override_settings(TASKS=DATABASE_TASKS, MAILERS=_file_mailer(tmp_path)):
        sent = _notify(world, recipients)
    order = DBTaskResult.objects.get().args_kwargs["args"][0]
    first = next(n for n in sent if str(n.pk) == order[0])

    killed = _worker(tmp_path, batch=True, die_at=2)
    killed.communicate(timeout=120)
    assert killed.returncode == -9  # SIGKILL: no handler, no clean-up ran
    done = Notification.objects.filter(email_due=False)
    assert [n.pk for n in done] == [first.pk] and done[0].emailed_at is not None
    assert Notification.objects.filter(email_due=True, emailed_at__isnull=True).count() == 2
    assert [to for to, _body in _mails(tmp_path)] == [first.recipient.email]
    assert DBTaskResult.objects.get().status == "RUNNING"  # the dead worker's task

    queued = _manage("queue_notification_mail", mail_dir=tmp_path)
    out, err = queued.communicate(timeout=120)
    assert queued.returncode == 0, err
    assert "notification e-mails queued: 2" in out
    rerun = _worker(tmp_path, batch=True)
    _out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert sorted(to for to, _body in _mails(tmp_path)) == sorted(u.email for u in recipients)
    assert not Notification.objects.filter(email_due=True).exists()


def test_one_refused_address_stays_due_and_the_others_go(world: World, settings: Any) -> None:
    """The worker keeps sending past a refused address; the failed one stays due, the
    error names no address, and a later run sends it alone."""
    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.RefusingMailer"}}
    [lan] = _give_addresses(world, "lan")
    [tuan] = _give_addresses(world, "tuan", domain="refused.example")
    sent = _notify(world, [lan, tuan])
    with pytest.raises(MailNotSent) as refused:
        mail_send(notification_ids=[n.pk for n in sent])
    assert "refused.example" not in str(refused.value)
    assert [m.to for m in mail.outbox] == [["lan@example.org"]]
    assert Notification.objects.get(recipient=lan).emailed_at is not None
    assert Notification.objects.get(recipient=tuan, email_due=True).emailed_at is None

    _give_addresses(world, "tuan")  # the address is read when the task runs
    call_command("queue_notification_mail", stdout=io.StringIO())
    assert sorted(m.to[0] for m in mail.outbox) == ["lan@example.org", "tuan@example.org"]
    assert not Notification.objects.filter(email_due=True).exists()


def _group_commands(pgid: int) -> list[str]:
    """Return the command lines of the live processes in a process group (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(cmdline)
    return found


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_runs_worker_starts_beside_the_server_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    """``make run``'s last step (scripts/serve-with-worker): the server and a db_worker;
    Ctrl-C (SIGINT to the terminal's process group) leaves no process behind."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "HOA_NHAP_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",  # as make run: the database backend
    }
    script = subprocess.Popen(  # noqa: S603  # nosec B603: our own script, no shell
        [str(ROOT / "scripts" / "serve-with-worker"), sys.executable, f"127.0.0.1:{port}"],
        cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=_terminal_signals,
    )  # fmt: skip
    commands: list[str] = []
    try:
        started = _wait(lambda: _answers(port), 90)
        commands = _group_commands(script.pid)
    finally:
        os.killpg(script.pid, signal.SIGINT)
        out, _err = script.communicate(timeout=60)
    assert started, out
    assert any("db_worker" in c for c in commands), out
    assert any("runserver" in c for c in commands), out
    assert _wait(lambda: _group_commands(script.pid) == [], 30), out


def _terminal_signals() -> None:
    """Start the script with Ctrl-C's default action, as a terminal's shell does: an ignored
    SIGINT is inherited (something earlier in the suite may leave the test process ignoring
    it), and a Python started with SIGINT ignored never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:  # noqa: S310  # nosec B310: loopback
            return bool(page.status == 200)
    except OSError:
        return False
