"""Check a restored database: audit chain against kept seals, history, a decrypted sample."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import backups


class Command(BaseCommand):
    help = (
        "Check the database DATABASE_URL points at, as restored from a backup or to a point "
        "in time: verify the audit chain against the seals of SEALFILE (kept outside the "
        "database), the change-history checkpoints, and decrypt a sample of every encrypted "
        "field with the key ring. Reads only. Exit 1 when any check fails."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seal", type=Path, required=True, metavar="SEALFILE")
        parser.add_argument(
            "--sample", type=int, default=20, help="rows per model to decrypt (default 20)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            seals = backups.seals_read(options["seal"])
        except (OSError, backups.BackupError) as error:
            raise CommandError(str(error)) from error
        report = backups.restore_check(seals=seals, sample=options["sample"])
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("restore drill FAILED: see the report above")
