"""Seal the audit chain head and print the seal to keep outside the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import actions


class Command(BaseCommand):
    help = "Record a seal of the current chain head and print it (run it periodically)."

    def handle(self, *args: Any, **options: Any) -> None:
        seal = actions.seal_create(actor=None)
        self.stdout.write(f"{seal.at.isoformat()} seal {seal.token}")
