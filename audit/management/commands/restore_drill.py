"""Restore a dump into a fresh database, check it there, and drop it."""

from __future__ import annotations

import subprocess  # nosec B404: our own manage.py, an argument list, no shell
import sys
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
        "Restore DUMP (pg_dump custom format) into a new database on the same server, run "
        "check_restore there (audit chain against the seals of SEALFILE, history, a sample "
        "decrypted with the key ring), print its report and drop the database. Exit 1 "
        "when the restore or any check fails."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("dump", type=Path)
        parser.add_argument("--seal", type=Path, required=True, metavar="SEALFILE")
        parser.add_argument("--sample", type=int, default=20, help="rows per model to decrypt")
        parser.add_argument(
            "--keep", action="store_true", help="keep the restored database (named in the report)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("the drill restores into PostgreSQL (pg_restore)")
        dump: Path = options["dump"]
        if not dump.is_file():
            raise CommandError(f"no dump at {dump}")
        db = connection.settings_dict
        name = backups.drill_database_name(timezone.now())
        try:
            backups.database_create(db, name)
        except Exception as error:
            raise CommandError(f"cannot create the drill's database {name}: {error}") from error
        try:
            self.stdout.write(f"restoring {dump} into database {name}")
            try:
                backups.dump_restore(db, dump, name=name)
            except backups.BackupError as error:
                raise CommandError(f"restore drill FAILED: {error}") from error
            # The checks run in a process of their own, connected to the restored database
            # only: this process's connection (the live database) is never switched.
            env = {**backups.libpq_env(db, name=name)}
            env["DATABASE_URL"] = backups.database_url(db, name=name)
            done = subprocess.run(  # noqa: S603  # nosec B603
                [
                    sys.executable,
                    str(Path(settings.BASE_DIR) / "manage.py"),
                    "check_restore",
                    "--seal",
                    str(options["seal"].resolve()),
                    "--sample",
                    str(options["sample"]),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            self.stdout.write(done.stdout.rstrip("\n"))
            if done.returncode != 0:
                raise CommandError(done.stderr.strip() or "restore drill FAILED")
        finally:
            if options["keep"]:
                self.stdout.write(f"kept database {name}")
            else:
                backups.database_drop(db, name)
