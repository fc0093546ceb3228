"""Queue the worker's heartbeat task (run every minute by a timer, docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core import health


class Command(BaseCommand):
    help = (
        "Queue a no-op task for the worker; /healthz fails when none has run for "
        "HOA_NHAP_HEALTH_WORKER_SILENT_MINUTES (run it every minute)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = health.heartbeat_enqueue()
        self.stdout.write("queued" if queued else "one already waiting")
