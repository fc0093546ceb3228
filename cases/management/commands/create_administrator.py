"""Create one of a new installation's first administrators (docs/operations.md)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.server_accounts import DEFAULT_ORGANISATION_TYPE, administrator_create


class Command(BaseCommand):
    help = (
        "Create an administrator with a password, scoped to a unit, in an organisation there. "
        "Run it twice (two people): dual control needs a second administrator. They enrol "
        "their authenticator at the first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--unit", required=True, help="code of the unit (the province)")
        parser.add_argument(
            "--organisation", required=True, help="name of the organisation (made if missing)"
        )
        parser.add_argument("--organisation-type", default=DEFAULT_ORGANISATION_TYPE)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (no prompt)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ.")
        try:
            user = administrator_create(
                username=options["username"],
                full_name=options["full_name"],
                password=password,
                unit_code=options["unit"],
                organisation_name=options["organisation"],
                organisation_type=options["organisation_type"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Administrator {user.username} created; they enrol their authenticator at the "
            "first sign-in."
        )
