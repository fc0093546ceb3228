"""python manage.py export_exchange PERSON_ID --user USERNAME [--output FILE]."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from accounts.models import User
from exchange import selectors


class Command(BaseCommand):
    help = "Write a person's signed exchange document (JSON), read as the given staff member."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", type=uuid.UUID)
        parser.add_argument("--user", required=True, help="the staff member who reads it")
        parser.add_argument("--output", type=Path, help="a file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            document = selectors.person_document(viewer=user, person_id=options["person_id"])
        except Http404 as error:
            raise CommandError("no such person in this user's scope (refusal logged)") from error
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
