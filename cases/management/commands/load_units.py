"""Load administrative units from a CSV file (code, name, level, parent_code)."""

import getpass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.units import units_load_csv


class Command(BaseCommand):
    help = "Create or update administrative units from a CSV file; nothing is loaded on error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv_path"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                count = units_load_csv(handle=handle, by=getpass.getuser())
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        self.stdout.write(self.style.SUCCESS(f"{count} units loaded from {path}."))
