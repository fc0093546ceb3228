"""A note on a case: encrypted text, scoped through its case, with history."""

from __future__ import annotations

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case, Person
from core.fields import EncryptedTextField


class CaseNote(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="example_notes")
    text = EncryptedTextField("text", blank=False)

    history = HistoricalRecords(bases=[RequestIdHistory])

    # Spelled out for mypy, whose Django plugin reads config.settings (without this app).
    objects: models.Manager[CaseNote] = models.Manager()
    case_id: uuid.UUID

    def __str__(self) -> str:
        return f"note {self.id.hex[:8]}"


class PersonNote(models.Model):
    """A record that hangs off a person directly (found by its foreign key, not the first)."""

    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="example_notes")

    objects: models.Manager[PersonNote] = models.Manager()
    person_id: uuid.UUID

    def __str__(self) -> str:
        return f"person note {self.pk}"


class NoteComment(models.Model):
    """A record two steps from its case: it names the path (``scope_through``)."""

    scope_through = "note__case"
    note = models.ForeignKey(CaseNote, on_delete=models.PROTECT, related_name="comments")

    objects: models.Manager[NoteComment] = models.Manager()

    def __str__(self) -> str:
        return f"comment {self.pk}"


class PersonNoteReply(models.Model):
    """A record two steps from its person."""

    scope_through = "reply_to__person"
    reply_to = models.ForeignKey(PersonNote, on_delete=models.PROTECT, related_name="replies")

    objects: models.Manager[PersonNoteReply] = models.Manager()

    def __str__(self) -> str:
        return f"reply {self.pk}"
