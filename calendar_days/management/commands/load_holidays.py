"""Load Vietnam's public holidays for one or more years from a CSV file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calendar_days import holidays


class Command(BaseCommand):
    help = (
        "Load public holidays from FILE.csv (header: date,name_vi,name_en,kind[,provisional]). "
        "Each year named in the file is replaced by the file's rows for it; other years are "
        "kept. Every line is checked first: one bad line loads nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        parsed = holidays.parse(text)
        if parsed.errors:
            for line in parsed.errors:
                self.stderr.write(line)
            raise CommandError(f"{len(parsed.errors)} bad line(s): nothing was loaded")
        done = holidays.holidays_load(actor=None, rows=parsed.rows)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {done['rows']} days for {done['years']} year(s) "
                f"({done['removed']} earlier rows of those years replaced)."
            )
        )
