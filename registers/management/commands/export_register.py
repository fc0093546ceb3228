"""Export a register as a staff member would from the page: their scope, their permission.

    python manage.py export_register --user minh --scope unit --unit 98101 --format csv out.zip

The file is written as it is read (flat memory, any size); each slice of people is an audit
event naming them with the user as actor, and a refusal is a denial event, exactly as on
the page. Progress goes to standard output.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from accounts.models import User
from registers.export import FORMATS, register_export
from registers.export_scope import KINDS, scope_for


class Command(BaseCommand):
    help = "Write the register of a user's scope to a file (XLSX, or CSV files in a ZIP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path)
        parser.add_argument("--user", required=True, help="the staff member exporting")
        parser.add_argument("--scope", required=True, choices=KINDS)
        parser.add_argument("--unit", default="", help="the unit code (scope 'unit')")
        parser.add_argument("--format", default="xlsx", choices=FORMATS, dest="out_format")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            scope = scope_for(user, options["scope"], options["unit"])
        except Http404:
            raise CommandError("this user may not export that scope (recorded)") from None
        path: Path = options["output"]

        def progress(people: int) -> None:
            self.stdout.write(f"{people} people written")

        try:
            with path.open("wb") as out:
                summary = register_export(
                    actor=user,
                    scope=scope,
                    out_format=options["out_format"],
                    out=out,
                    progress=progress,
                )
        except PermissionDenied:
            path.unlink(missing_ok=True)
            raise CommandError("this user may not export registers (recorded)") from None
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from None
        rows = ", ".join(f"{key} {count}" for key, count in summary.rows.items() if count)
        self.stdout.write(
            self.style.SUCCESS(f"{summary.people} people exported to {path} ({rows or 'no rows'}).")
        )
