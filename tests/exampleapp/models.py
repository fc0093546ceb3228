"""A note on a case: encrypted text, scoped through its case, with history."""

from __future__ import annotations

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case
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
