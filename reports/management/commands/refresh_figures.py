"""Recompute the coverage figures' roll-up: the stale communes, or (``--all``) everything."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from reports import rollup


class Command(BaseCommand):
    help = (
        "Recompute the figures roll-up for the communes marked stale and build the standard "
        "periods not built yet; --all rebuilds every commune (a new installation)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="rebuild every cell, not only the stale ones"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The figures roll-up needs PostgreSQL (the demo counts live).")
        began = time.perf_counter()
        counts = rollup.refresh(full=options["all"])
        self.stdout.write(
            "communes {communes}, periods built {built}, cells {cells}, markers {markers}".format(
                **counts
            )
            + f" ({time.perf_counter() - began:.1f} s)"
        )
