"""The log scan after the browser suite (issue 31, decisions D47 and D52).

While the browser tests run, the live server's log lines go, through the production JSON
formatter, to a file as well; every person saved meanwhile (by a fixture or through the
browser) has the plaintext of its names, numbers and id noted, and so has every token
``secrets.token_urlsafe`` made (invitation links) and every activation code handed over. At
the end of the session the file is searched for each of them: any hit fails the run.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models.signals import post_save

from core.logs import JsonFormatter

# A value shorter than this is too common to mean anything in a log line.
MIN_LENGTH = 4
PERSON_FIELDS = ("full_name", "aliases", "citizen_id", "old_id_number", "phone")


@dataclass
class LogScan:
    path: Path
    known: dict[str, str] = field(default_factory=dict)  # value -> what it is

    def note(self, value: Any, kind: str) -> None:
        text = str(value or "").strip()
        if len(text) >= MIN_LENGTH:
            self.known.setdefault(text, kind)

    def _person_saved(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        self.note(instance.pk, "person id")
        self.note(getattr(instance.pk, "hex", ""), "person id")
        for name in PERSON_FIELDS:
            self.note(getattr(instance, name, ""), f"person {name}")

    @contextmanager
    def attached(self) -> Iterator[LogScan]:
        """Write every log line to the file (JSON) and note the people and tokens made."""
        from cases import invitations
        from cases.models import Person

        handler = logging.FileHandler(self.path, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        root, access = logging.getLogger(), logging.getLogger("hoa_nhap.requests")
        levels = root.level, access.level
        console = logging.getHandlerByName("console")
        console_level = console.level if console is not None else None
        make_token: Callable[..., str] = secrets.token_urlsafe

        def token_noted(*args: Any, **kwargs: Any) -> str:
            token = make_token(*args, **kwargs)
            self.note(token, "token")
            return token

        issue_code: Callable[..., str] = invitations.invitation_code_issue

        def code_noted(*args: Any, **kwargs: Any) -> str:
            code = issue_code(*args, **kwargs)
            self.note(code, "activation code")
            self.note(code.replace("-", ""), "activation code")
            return code

        root.addHandler(handler)
        root.setLevel(logging.INFO)
        access.setLevel(logging.INFO)
        if console is not None:
            console.setLevel(max(console.level, logging.WARNING))  # the file gets the rest
        post_save.connect(self._person_saved, sender=Person, dispatch_uid=f"log-scan-{id(self)}")
        secrets.token_urlsafe = token_noted
        invitations.invitation_code_issue = code_noted  # the views call it through the module
        try:
            yield self
        finally:
            secrets.token_urlsafe = make_token
            invitations.invitation_code_issue = issue_code
            post_save.disconnect(sender=Person, dispatch_uid=f"log-scan-{id(self)}")
            root.removeHandler(handler)
            handler.close()
            root.setLevel(levels[0])
            access.setLevel(levels[1])
            if console is not None and console_level is not None:
                console.setLevel(console_level)

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()

    def hits(self) -> list[str]:
        """Return one message per known value found in a log line."""
        found = []
        for number, line in enumerate(self.lines(), start=1):
            try:  # the decoded text too, should a writer have escaped it
                decoded = json.dumps(json.loads(line), ensure_ascii=False)
            except ValueError:
                decoded = line
            for value, kind in self.known.items():
                if value in line or value in decoded:
                    found.append(f"{self.path}:{number}: {kind} {value!r} in {line[:300]}")
        return found

    def access_lines(self) -> int:
        return sum('"logger": "hoa_nhap.requests"' in line for line in self.lines())
