"""The example app's own audit actions."""

from audit.registry import register


class NoteAction:
    NOTE_ADDED = register("casenote_added", "Added a case note")
    NOTE_CHANGED = register("casenote_changed", "Changed a case note")
