"""Seal every document's file again under a new data key (after a key is feared leaked)."""

from __future__ import annotations

import datetime
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from documents import actions, selectors


class Command(BaseCommand):
    help = (
        "Re-encrypt every document's file and thumbnail under a new random data key, one "
        "document per transaction; the old sealed objects are deleted. Run it after "
        "rotate_encryption_keys when a key may have leaked: a leaked master key could unwrap "
        "the old data keys from an old backup, and those then open no file that is kept. "
        "Resumable: pass the start time it printed as --older-than."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            help="Only documents keyed before this time (ISO 8601); default: now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = timezone.now()
        older_than = start
        if options["older_than"]:
            try:
                older_than = datetime.datetime.fromisoformat(options["older_than"])
            except ValueError:
                raise CommandError("--older-than takes an ISO 8601 time") from None
            if timezone.is_naive(older_than):
                raise CommandError("--older-than needs a time zone (e.g. +07:00)")
        self.stdout.write(
            f"Re-encrypting documents keyed before {older_than.isoformat()} "
            f"(to resume, pass --older-than {older_than.isoformat()})…"
        )
        done = 0
        for document_id in selectors.keyed_before(older_than):
            if actions.document_reencrypt(
                document_id=document_id, older_than=older_than, by=getpass.getuser()
            ):
                done += 1
        noun = "document" if done == 1 else "documents"
        self.stdout.write(self.style.SUCCESS(f"Done: {done} {noun} re-encrypted."))
