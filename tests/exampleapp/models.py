"""A note on a case: encrypted text, scoped through its case, with a version and history."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case, Person
from core.editing import Versioned
from core.fields import EncryptedTextField


class Topic(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit")
    PHONE_CALL = "phone_call", _("Phone call")
    MEETING = "meeting", _("Meeting at the office")


class CaseNote(Versioned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="example_notes")
    written_on = models.DateField(_("date"), default=timezone.localdate)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic, default=Topic.HOME_VISIT)
    text = EncryptedTextField(_("note"), blank=False)  # ciphertext at rest
    # A due item: the next contact, for the staff member responsible for it.
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    responsible = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )

    history = HistoricalRecords(bases=[RequestIdHistory])  # who, when, which request

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
