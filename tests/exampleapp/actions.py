"""Write case notes through the recipe's save step (verb check, version, history, event)."""

from __future__ import annotations

from typing import Any

from core.editing import IfVersion

from .models import CaseNote
from .records import NOTES


def casenote_add(*, actor: Any, note: CaseNote) -> CaseNote:
    """Save a new note on its case if the actor may add one there, and record it."""
    return NOTES.save(actor=actor, instance=note)


def casenote_change(*, actor: Any, note: CaseNote, if_version: IfVersion) -> CaseNote:
    """Save a changed note unless someone saved it since ``if_version``, and record it."""
    return NOTES.save(actor=actor, instance=note, if_version=if_version)
