"""Load administrative units from a CSV file (code, name, level, parent_code)."""

import getpass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.units import units_load_csv


class Command(BaseCommand):
    help = (
        "Add the administrative units of a CSV file; nothing is loaded on error. A change of "
        "the map (a rename, a move, another tree shape) is refused: use reorganise_units."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what a load would do."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv_path"]
        dry_run: bool = options["dry_run"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                plan = units_load_csv(handle=handle, by=getpass.getuser(), dry_run=dry_run)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. {plan.summary()}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded from {path}: {plan.summary()}."))
