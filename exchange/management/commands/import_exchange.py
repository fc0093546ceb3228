"""python manage.py import_exchange (FILE | --url URL) --user USERNAME [--dry-run].

``--url`` pulls the document from another instance's API
(``…/api/v1/exchange/people/<id>``) with the API client token in the environment variable
``HOA_NHAP_EXCHANGE_TOKEN`` (never on the command line, where other users of the machine see
it).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from exchange import actions

TOKEN_VARIABLE = "HOA_NHAP_EXCHANGE_TOKEN"  # noqa: S105  # nosec B105 (a variable's name)


def pull(url: str, token: str) -> bytes:
    """Return the document another instance's API answers at ``url``."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise CommandError("--url must be an http(s) address")
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310  # nosec B310
            body: bytes = answer.read(actions.MAX_BYTES + 1)
            return body
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace")
        raise CommandError(f"the source answered {error.code}: {detail}") from error
    except (urllib.error.URLError, TimeoutError) as error:
        raise CommandError(f"the source could not be reached: {error}") from error


class Command(BaseCommand):
    help = "Take in a person's exchange document from a file or another instance's API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--url", help="pull from another instance's API")
        parser.add_argument("--user", required=True, help="the importing staff member")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        source: Path | None = options["file"]
        if (source is None) == (options["url"] is None):
            raise CommandError("give either a FILE or --url")
        if source is not None:
            if not source.is_file():
                raise CommandError(f"no such file: {source}")
            raw = source.read_bytes()
        else:
            token = os.environ.get(TOKEN_VARIABLE, "")
            if not token:
                raise CommandError(f"set {TOKEN_VARIABLE} to the source's API client token")
            raw = pull(options["url"], token)
        try:
            result = actions.document_import(actor=user, raw=raw, dry_run=options["dry_run"])
        except actions.ExchangeRefusedError as refused:
            raise CommandError(f"refused ({refused.code}): {refused.message}") from refused
        what = "would take in" if result.dry_run else "took in"
        self.stdout.write(
            f"{what} person {result.person_id}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged"
        )
