"""Write (or check) docs/api/openapi.json from the code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api import schema


class Command(BaseCommand):
    help = "Write docs/api/openapi.json from the API's code (--check: fail if it differs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        generated = schema.text()
        if options["check"]:
            if schema.COMMITTED.read_text(encoding="utf-8") != generated:
                raise CommandError("docs/api/openapi.json is stale: run manage.py api_schema")
            return
        schema.COMMITTED.write_text(generated, encoding="utf-8")
        self.stdout.write(f"wrote {schema.COMMITTED}")
