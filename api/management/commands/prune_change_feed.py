"""Delete the change feed rows every sync client has passed (``api.actions``, D59)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from api.actions import PRUNE_BATCH, change_feed_prune


class Command(BaseCommand):
    help = "Delete, in batches, the change feed rows every sync client has passed (daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=PRUNE_BATCH, help="rows per delete")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = change_feed_prune(batch=max(1, options["batch"]))
        self.stdout.write(f"Removed {removed} change feed row(s).")
