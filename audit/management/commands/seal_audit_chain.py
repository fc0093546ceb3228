"""Seal the audit chain head and print the seal to keep outside the database."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from audit import actions, append_only


class Command(BaseCommand):
    help = (
        "Record the row counts of every change-history table as an event, then a seal of the "
        "chain head, and print the seal (run it periodically)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            append_only.history_checkpoint(by=getpass.getuser())
            seal = actions.seal_create(actor=None)
        self.stdout.write(f"{seal.at.isoformat()} seal {seal.token}")
