"""The load balancer's health page, /healthz (issue 31, decision D47).

Each failure is real: an empty key ring, a port nothing listens on, a worker that never ran
the heartbeat (or left a task waiting), no recent seal, an unapplied migration. The page is
reached without signing in and says only ok or fail per check.

ASVS 13.4.2 (no internal detail in a public endpoint), 16.5.3 (fails securely, and says
so, when a resource it depends on is unavailable).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from audit import actions as audit_actions
from core import health
from core.crypto import KeyRing
from tests.core.test_database_unavailable import _connecting, _free_port
from tests.notifications.test_mail_worker import _manage

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CHECKS = {"database", "key_ring", "migrations", "worker", "audit_seal"}


def _health() -> tuple[int, dict[str, Any]]:
    client = Client(raise_request_exception=False)
    response = client.get("/healthz")
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def _all_ok_but(*failing: str) -> dict[str, Any]:
    checks = {name: "fail" if name in failing else "ok" for name in CHECKS}
    return {"status": "fail" if failing else "ok", "checks": checks}


def _work() -> None:
    """Claim and run the waiting tasks with db_worker's own Worker (its loop closes the
    test's connection; test_a_real_worker_process_keeps_it_healthy runs the command)."""
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    for waiting in DBTaskResult.objects.ready():
        waiting.claim("test")
        worker.run_task(waiting)


@override_settings(TASKS=DATABASE_TASKS)
def _healthy_installation() -> None:
    """Seal the chain and let the worker run the heartbeat."""
    audit_actions.seal_create(actor=None)
    call_command("worker_heartbeat")
    _work()


@pytest.mark.django_db
def test_a_healthy_installation_answers_200_with_ok_per_check_and_nothing_more() -> None:
    _healthy_installation()
    assert _health() == (200, _all_ok_but())


@pytest.mark.django_db
def test_without_the_key_ring_it_answers_503() -> None:
    _healthy_installation()
    with override_settings(ENCRYPTION_KEY_RING=KeyRing(())):
        assert _health() == (503, _all_ok_but("key_ring"))


@pytest.mark.django_db
def test_a_worker_that_never_ran_the_heartbeat_fails() -> None:
    audit_actions.seal_create(actor=None)
    with override_settings(TASKS=DATABASE_TASKS):
        call_command("worker_heartbeat")  # queued; no worker takes it
    assert _health() == (503, _all_ok_but("worker"))


@pytest.mark.django_db
def test_a_task_waiting_too_long_fails_even_after_a_recent_heartbeat() -> None:
    _healthy_installation()
    with override_settings(TASKS=DATABASE_TASKS):
        health.heartbeat.enqueue()
    long_ago = timezone.now() - timedelta(minutes=6)
    DBTaskResult.objects.filter(status="READY").update(enqueued_at=long_ago)
    assert _health() == (503, _all_ok_but("worker"))


@pytest.mark.django_db
def test_the_heartbeat_is_queued_once_while_one_waits() -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        call_command("worker_heartbeat")
        call_command("worker_heartbeat")
    assert DBTaskResult.objects.filter(task_path=health.HEARTBEAT_TASK).count() == 1


@pytest.mark.django_db
def test_no_seal_for_26_hours_fails() -> None:
    _healthy_installation()
    with override_settings(HEALTH_SEAL_MAX_AGE=timedelta(0)):
        assert _health() == (503, _all_ok_but("audit_seal"))


@pytest.mark.django_db
def test_an_unapplied_migration_fails() -> None:
    _healthy_installation()
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-name")[:1].get().delete()
    assert _health() == (503, _all_ok_but("migrations"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real connection to break")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unreachable_database_answers_503_without_detail(caplog: Any) -> None:
    _healthy_installation()
    with _connecting(HOST="127.0.0.1", PORT=str(_free_port())):
        status, body = _health()
    # Every check that needs the database fails; the key ring does not need it.
    assert (status, body) == (503, _all_ok_but(*(CHECKS - {"key_ring"})))
    assert "could not run" in caplog.text  # the cause is in the log, not the answer
    assert _health()[0] == 200  # back as soon as the database is


@pytest.mark.skipif(connection.vendor != "postgresql", reason="another process's connection")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_process_keeps_it_healthy(tmp_path: Any) -> None:
    audit_actions.seal_create(actor=None)
    with override_settings(TASKS=DATABASE_TASKS):
        call_command("worker_heartbeat")
    assert _health() == (503, _all_ok_but("worker"))
    worker = _manage("db_worker", "--no-reload", "--no-startup-delay", "--batch", mail_dir=tmp_path)
    assert worker.wait(timeout=120) == 0, worker.communicate()
    assert _health() == (200, _all_ok_but())
