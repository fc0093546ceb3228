"""Write case notes: fetch the case through the access layer, save with history and event."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.capabilities import can
from audit import actions as audit
from cases import access
from cases.models import Case

from .capabilities import CASENOTE_CHANGE
from .events import NoteAction
from .models import CaseNote


def casenote_add(*, actor: Any, case_id: UUID, text: str) -> CaseNote:
    """Add a note to a case the actor may change, and record it."""
    case = access.get_for_user(actor, Case, case_id, "change", record_read=False)
    note = CaseNote(case=case, text=text)
    note.full_clean()
    note._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        note.save()
        audit.record(actor=actor, action=NoteAction.NOTE_ADDED, obj=note)
    return note


def casenote_change(*, actor: Any, note: CaseNote, text: str) -> CaseNote:
    """Change a note's text if the actor holds ``casenote.change`` on it, and record it."""
    if not can(actor, CASENOTE_CHANGE, note):
        raise PermissionDenied
    note.text = text
    note.full_clean()
    note._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        note.save()
        audit.record(actor=actor, action=NoteAction.NOTE_CHANGED, obj=note)
    return note
