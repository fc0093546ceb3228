"""Re-encrypt every encrypted value to the newest key in HOA_NHAP_ENCRYPTION_KEYS."""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import rotation
from core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (case data, change history and access-event "
        "reasons) to the first key of HOA_NHAP_ENCRYPTION_KEYS, in batches. Resumable: run it "
        "again after an interruption. With --status, only report which keys are still needed "
        "and for which fields."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--status", action="store_true", help="Only report key usage.")

    def handle(self, *args: Any, **options: Any) -> None:
        current = crypto.key_ring().current_id
        if not options["status"]:
            self.stdout.write(f"Re-encrypting to key {current!r}…")

            def report(progress: rotation.Progress) -> None:
                self.stdout.write(f"  {progress.model}: {progress.done}/{progress.total} rows")

            changed = rotation.rotate(
                by=getpass.getuser(), batch_size=options["batch_size"], on_progress=report
            )
            self.stdout.write(self.style.SUCCESS(f"Done: {changed} rows re-encrypted."))
        self._report(current)

    def _report(self, current: str) -> None:
        usage = rotation.key_usage()
        self.stdout.write(
            "Values per key id, by field ([append-only]: changed by nothing but this command):"
        )
        for item in usage:
            counts = ", ".join(f"{kid}: {n}" for kid, n in sorted(item.counts.items())) or "empty"
            marker = " [append-only]" if item.append_only else ""
            self.stdout.write(f"  {item.name}{marker}: {counts}")
        needed = rotation.keys_still_needed(usage, current)
        for kid, items in sorted(needed.items()):
            fields = ", ".join(f"{i.name} ({i.counts[kid]})" for i in items)
            self.stdout.write(self.style.WARNING(f"Key {kid!r} is still needed for: {fields}."))
        if not needed:
            self.stdout.write(
                f"Every value uses key {current!r}; older keys can be removed from "
                "HOA_NHAP_ENCRYPTION_KEYS. Keep them offline for as long as backups taken "
                "before this rotation are kept: those still need them."
            )
