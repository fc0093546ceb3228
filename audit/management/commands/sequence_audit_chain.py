"""Chain every committed access event that has no link yet (normally done at each commit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import chain


class Command(BaseCommand):
    help = (
        "Link every committed audit event still waiting into the hash chain. Each commit "
        "already does this; run it after a crash, or before migrating audit back below 0005."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        chained = chain.sequence(wait=True, full=True)
        position, head_hash = chain.head()
        self.stdout.write(f"{chained} event(s) chained; head #{position} {head_hash}")
