"""Write (or check) docs/exchange/person-v1.schema.json from the document's models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange import document

COMMITTED = Path(settings.BASE_DIR) / "docs" / "exchange" / "person-v1.schema.json"


class Command(BaseCommand):
    help = "Write docs/exchange/person-v1.schema.json (--check: fail if it differs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        generated = document.schema_text()
        if options["check"]:
            if not COMMITTED.is_file() or COMMITTED.read_text(encoding="utf-8") != generated:
                raise CommandError(
                    "docs/exchange/person-v1.schema.json is stale: run manage.py exchange_schema"
                )
            return
        COMMITTED.write_text(generated, encoding="utf-8")
        self.stdout.write(f"wrote {COMMITTED}")
