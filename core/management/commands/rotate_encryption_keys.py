"""Re-encrypt every encrypted field to the newest key in HOA_NHAP_ENCRYPTION_KEYS."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import crypto, rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (history included) to the first key of "
        "HOA_NHAP_ENCRYPTION_KEYS, in batches. Resumable: run it again after an interruption. "
        "With --status, only count values per key id."
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

            changed = rotation.rotate(batch_size=options["batch_size"], on_progress=report)
            self.stdout.write(self.style.SUCCESS(f"Done: {changed} rows re-encrypted."))
        stale = 0
        for model, counts in rotation.count_by_key().items():
            if counts:
                usage = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items()))
                self.stdout.write(f"  {model}: {usage}")
            stale += sum(n for kid, n in counts.items() if kid != current)
        if stale:
            self.stdout.write(self.style.WARNING(f"{stale} values still use older keys."))
        else:
            self.stdout.write(f"Every value uses key {current!r}; older keys can be removed.")
