"""Queue the e-mail that notifications still owe (after a worker died, or a lost enqueue)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from notifications import mail, tasks

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Queue one mail task per 500 notifications still owed an e-mail; the worker sends "
        "each once (those sent meanwhile are skipped)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        due = mail.due_ids()
        if not dry_run:
            for start in range(0, len(due), CHUNK):
                tasks.notification_mail.enqueue(due[start : start + CHUNK])
        verb = "due" if dry_run else "queued"
        self.stdout.write(f"notification e-mails {verb}: {len(due)}")
