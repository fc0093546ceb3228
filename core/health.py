"""The health checks the load balancer asks for (``/healthz``, decision D47).

Each check answers True (healthy) or False, and never raises: a check that fails to run is
a failed check, and its error goes to the log (``hoa_nhap.health``), not to the answer. The
answer says only ok or fail per check: no time, count, version or message, so a visitor
learns nothing an outage would not show anyway.

The checks: the database answers; the key ring encrypts and decrypts; no migration on disk
is unapplied; the task worker has run the heartbeat task recently and no task has waited
too long; and, registered by the audit app (core stands below it), the last seal is recent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from . import crypto

logger = logging.getLogger("hoa_nhap.health")

HEARTBEAT_TASK = "core.health.heartbeat"

_CHECKS: dict[str, Callable[[], bool]] = {}


def register(name: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    """Add a check under ``name`` (apps above core register theirs in ``ready``)."""

    def add(check: Callable[[], bool]) -> Callable[[], bool]:
        _CHECKS[name] = check
        return check

    return add


def run_checks() -> dict[str, bool]:
    """Run every check; a check that raises has failed (and is logged, not shown)."""
    results = {}
    for name, check in _CHECKS.items():
        try:
            results[name] = bool(check())
        except Exception:
            logger.exception("health check %s could not run", name)
            results[name] = False
        if not results[name]:
            logger.warning("health check %s failed", name)
    return results


@register("database")
def database() -> bool:
    """The database answers a query."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return bool(cursor.fetchone() == (1,))


@register("key_ring")
def key_ring() -> bool:
    """The key ring holds a key that encrypts and decrypts, and the other keys are set."""
    probe = crypto.encrypt("health", label="core.health", row_id="probe")
    return (
        crypto.decrypt(probe, label="core.health", row_id="probe") == "health"
        and len(settings.BLIND_INDEX_KEY) == 32
        and len(settings.AUDIT_CHAIN_KEY) == 32
    )


@cache
def _migrations_on_disk() -> frozenset[tuple[str, str]]:
    # The code does not change under a running process: read the files once.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


@register("migrations")
def migrations() -> bool:
    """Every migration on disk is applied (a deploy did not skip ``migrate``)."""
    applied = MigrationRecorder(connections[DEFAULT_DB_ALIAS]).applied_migrations()
    return _migrations_on_disk() <= set(applied)


@task()
def heartbeat() -> None:
    """Do nothing: the worker running it is the proof that it runs tasks."""


@register("worker")
def worker() -> bool:
    """The worker ran a heartbeat lately, and no ready task has waited too long.

    ``manage.py worker_heartbeat`` (a timer, every minute) queues the heartbeat task. The
    first condition catches a worker that is gone while the queue is idle; the second
    one that is stuck on a long task or too slow for the queue.
    """
    silent: timedelta = getattr(settings, "HEALTH_WORKER_SILENT", timedelta(minutes=5))
    since = timezone.now() - silent
    beat = DBTaskResult.objects.filter(
        task_path=HEARTBEAT_TASK, status=TaskResultStatus.SUCCESSFUL, finished_at__gte=since
    ).exists()
    stuck = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, enqueued_at__lt=since)
        .filter(Q(run_after=get_date_max()) | Q(run_after__lt=since))
        .exists()
    )
    return beat and not stuck


def heartbeat_enqueue() -> bool:
    """Queue the heartbeat task unless one is already waiting; return whether it queued."""
    if DBTaskResult.objects.filter(
        task_path=HEARTBEAT_TASK, status=TaskResultStatus.READY
    ).exists():
        return False
    heartbeat.enqueue()
    return True
