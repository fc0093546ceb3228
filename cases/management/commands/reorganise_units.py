"""Apply an official old → new map of administrative units (decision D43, docs/units.md)."""

import datetime
import getpass
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.reorganise import reorganise


def _day(text: str) -> datetime.date:
    """An ISO date (YYYY-MM-DD), for --effective-on."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--effective-on: {text!r} is not a date written YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Re-address people, organisations and staff scopes from old units to new ones, in one "
        "transaction; old units are kept, not in use. Run with --dry-run first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "mapping_path",
            type=Path,
            help="CSV: new_code, new_name, new_level, old_code, old_name, kind (full/partial).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--choices",
            type=Path,
            help="CSV: person_id, new_code: where each person of a split unit goes.",
        )
        parser.add_argument(
            "--units",
            type=Path,
            help="The new list (code, name, level, parent_code), for the new units' parents.",
        )
        parser.add_argument(
            "--effective-on",
            metavar="YYYY-MM-DD",
            help="The new map's first day, as the decree gives it (default: today).",
        )
        parser.add_argument(
            "--write-defaults",
            type=Path,
            help="Write the people placed by the default (a choices file to edit) here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["mapping_path"]
        given = options["effective_on"]
        effective_on = _day(given) if given is not None else None
        try:
            with ExitStack() as files:

                def opened(name: str) -> Any:
                    given = options[name] if name != "mapping" else path
                    if given is None:
                        return None
                    return files.enter_context(given.open(encoding="utf-8-sig", newline=""))

                report = reorganise(
                    mapping=opened("mapping"),
                    choices=opened("choices"),
                    units=opened("units"),
                    by=getpass.getuser(),
                    dry_run=options["dry_run"],
                    source=path.name,
                    effective_on=effective_on,
                )
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"cannot read {error.filename}: {error.strerror}") from None
        for line in report.lines():
            self.stdout.write(line)
        defaults: Path | None = options["write_defaults"]
        if defaults is not None:
            with defaults.open("w", encoding="utf-8", newline="") as out:
                out.write("person_id,new_code,old_code,options\n")
                for person_id, old, new, choices in report.placed_by_default:
                    out.write(f"{person_id},{new},{old},{' '.join(choices)}\n")
            self.stdout.write(f"People placed by the default written to {defaults}.")
