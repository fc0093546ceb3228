"""Seal the audit chain, dump the database (custom format) and prune old dumps."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from audit import backups


class Command(BaseCommand):
    help = (
        "Seal the audit chain, then pg_dump the database in custom format into DIR "
        "(HOA_NHAP_BACKUP_DIR unless given) with the "
        "seal's line beside it (<dump>.seal), and delete the dumps retention lets go. The "
        "keys are never written: back them up on their own (docs/operations.md, Backups)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "directory",
            type=Path,
            nargs="?",
            help="where dumps and seal files are kept (default: HOA_NHAP_BACKUP_DIR)",
        )
        parser.add_argument(
            "--keep-daily",
            type=int,
            default=settings.BACKUP_KEEP_DAILY,
            metavar="DAYS",
            help="keep every dump of the last DAYS days (HOA_NHAP_BACKUP_KEEP_DAILY, 14)",
        )
        parser.add_argument(
            "--keep-monthly",
            type=int,
            default=settings.BACKUP_KEEP_MONTHLY,
            metavar="MONTHS",
            help="and the first dump of each of the last MONTHS months "
            "(HOA_NHAP_BACKUP_KEEP_MONTHLY, 12)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("backups are taken of a PostgreSQL database (pg_dump)")
        if options["keep_daily"] < 1:
            raise CommandError("--keep-daily must be at least 1: the new dump is kept")
        directory: Path = options["directory"] or settings.BACKUP_DIR
        try:
            made = backups.backup_create(
                db=connection.settings_dict, directory=directory, by=getpass.getuser()
            )
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"dump {made.dump} ({made.dump.stat().st_size} bytes)")
        self.stdout.write(f"{made.seal_line}  (also in {made.seal}; keep a copy elsewhere)")
        for gone in backups.backups_prune(
            directory=directory,
            now=timezone.now(),
            daily=options["keep_daily"],
            monthly=options["keep_monthly"],
        ):
            self.stdout.write(f"pruned {gone.name}")
