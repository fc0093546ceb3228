"""Build the fictitious demo province and print the demo accounts."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import demo


class Command(BaseCommand):
    help = "Create the demo province, organisations, one user per role and demo people/cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("seed_demo only runs with HOA_NHAP_DEMO=1 (demo keys, demo data).")
        created = demo.seed(people=options["people"])
        self.stdout.write(
            "Demo data created." if created else "Demo data already present; nothing changed."
        )
        self.stdout.write(
            f"\nDemo accounts (password for all: {demo.DEMO_PASSWORD}). Add each TOTP secret "
            "(base32) to an authenticator app, or run: python -m accounts.totp <secret>"
        )
        self.stdout.write(
            f"  {'user':<6} {'password':<20} {'role':<16} {'TOTP secret':<34} {'scope':<6} "
            "name (fictitious)"
        )
        for user in demo.USERS:
            job = f" ({user.job})" if user.job else ""
            self.stdout.write(
                f"  {user.username:<6} {demo.DEMO_PASSWORD:<20} {user.role:<16} "
                f"{demo.totp_secret(user.username):<34} {user.scope:<6} {user.full_name}{job}"
            )
        self.stdout.write("\nOpen http://127.0.0.1:8000/ and log in.")
