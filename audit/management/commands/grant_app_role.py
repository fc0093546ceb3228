"""Give the application's database role its privileges (run after every migrate)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from audit import db_roles


class Command(BaseCommand):
    help = (
        "Grant ROLE what the application needs: read and write the ordinary tables, only read "
        "and add rows to the append-only ones, TRUNCATE on none (PostgreSQL; run as the owner)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the database role the application connects as")
        parser.add_argument(
            "--print", action="store_true", help="print the statements instead of running them"
        )

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist only on PostgreSQL")
        statements = db_roles.app_role_grants(role)
        if options["print"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"{role}: {len(statements)} grant statements applied")
