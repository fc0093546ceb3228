"""Remind each staff member, once a day, of their overdue work (``cases.overdue``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.overdue import overdue_notify


class Command(BaseCommand):
    help = "Notify each staff member who has overdue items (once a day; names no one)."

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = overdue_notify()
        self.stdout.write(f"Reminded {reminded} staff member(s) of overdue work.")
