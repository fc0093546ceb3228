"""python manage.py import_register FILE --user USERNAME [--dry-run] [--decisions FILE]."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from registers import uploads
from registers.models import ImportStatus, RegisterImport

FINISHED = {ImportStatus.CHECKED, ImportStatus.REFUSED, ImportStatus.DONE, ImportStatus.FAILED}


class Command(BaseCommand):
    help = "Import a register file (XLSX, CSV or ZIP of CSVs) as a background task."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the importing staff member")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--decisions",
            type=Path,
            help='a JSON file {"person number": "new" or a person id} for candidate matches',
        )
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        if not source.is_file():
            raise CommandError(f"no such file: {source}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        decisions = json.loads(options["decisions"].read_text()) if options["decisions"] else {}
        self.stdout.write(f"importing {source.name} as {user.username}")
        with source.open("rb") as handle:
            row = uploads.import_queue(
                actor=user,
                source=handle,
                file_name=source.name,
                dry_run=options["dry_run"],
                decisions=decisions,
            )
        self.stdout.write(f"import {row.pk} queued (SHA-256 {row.sha256})")
        row = self._follow(row, options["timeout"])
        self._report(row)

    def _follow(self, row: RegisterImport, timeout: float) -> RegisterImport:
        deadline = time.monotonic() + timeout
        shown = -1
        while True:
            row.refresh_from_db()
            if row.rows_done != shown:
                shown = row.rows_done
                self.stdout.write(f"progress: {row.get_status_display()}, {shown} rows")
            if row.status in FINISHED:
                return row
            if time.monotonic() > deadline:
                raise CommandError(f"import {row.pk} still {row.status} after {timeout} s")
            time.sleep(0.5)

    def _report(self, row: RegisterImport) -> None:
        report = json.loads(row.report) if row.report else {}
        for sheet, count in report.get("rows", {}).items():
            self.stdout.write(f"rows {sheet}: {count}")
        for notice in report.get("notices", []):
            self.stdout.write(f"note: {notice}")
        for match in report.get("candidates", []):
            self.stdout.write(
                f"possible match: person {match['person_key']} (row {match['row']}) may be "
                f"{match['person_id']} ({match['reason']})"
            )
        for problem in report.get("problems", []):
            self.stdout.write(
                f"problem: {problem['sheet']}, row {problem['row']}, "
                f"{problem['column'] or '-'}: {problem['message']}"
            )
        if row.status == ImportStatus.DONE:
            self.stdout.write(self.style.SUCCESS(f"imported: {row.rows_total} rows"))
        elif row.status == ImportStatus.CHECKED:
            self.stdout.write(f"dry run: {row.rows_total} rows checked, nothing written")
        else:
            raise CommandError(
                f"nothing imported: {len(report.get('problems', []))} problems ({row.status})"
            )
