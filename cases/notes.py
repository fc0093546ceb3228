"""Contact notes on a case (issue 28, decision D42): the record type, and who may change one.

A note is added through the one recipe (``cases.records``), so it is scoped by its case,
shared by a referral only with the ``notes`` part, versioned, on the timeline and in the case
page's "Add…" menu. Its author may change it for ``CONTACT_NOTE_EDIT_MINUTES``; after that, or
for anyone else, the only way to correct it is an addendum: a new note pointing at the
original, which never changes. The server decides (``edit_refusal``), the page only follows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.editing import IfVersion

from . import access, records
from .models import ContactKind, ContactNote

NOTES = records.RecordType(
    model=ContactNote,
    name="contactnote",  # events contactnote_added/_changed, verbs contactnote.add/.change
    label=_("Contact note"),
    added=_("Added a contact note"),
    changed=_("Changed a contact note"),
    date_field="contacted_on",
    # The kind of contact only, never the note's text or who was present.
    title=lambda note: _("Addendum") if note.addendum_to_id else ContactKind(note.kind).label,
    detail_url="cases:note_detail",
    add_url="cases:note_add",
    part="notes",  # a referral's receiver reads notes only when "notes" is shared
    # The API (D58): a change goes through the author's edit window like the page's.
    api=records.Api(
        path="contact-notes",
        id_param="note_id",
        fields=(
            "kind",
            "contacted_on",
            "contacted_time",
            "duration_minutes",
            "present",
            "text",
            "author",
            "addendum_to",
        ),
        writable=("kind", "contacted_on", "contacted_time", "duration_minutes", "present", "text"),
        form=lambda data, row, user: _form(data, row),
        add=lambda actor, note: contactnote_add(actor=actor, note=note),
        change=lambda actor, note, version: contactnote_change(
            actor=actor, note=note, if_version=version
        ),
    ),
)


def _form(data: dict[str, Any], note: ContactNote) -> Any:
    from .casework_forms import ContactNoteForm

    return ContactNoteForm(data, instance=note)


# Why an edit is refused (the denial event's reason).
NOT_AUTHOR = "not_author"
WINDOW_CLOSED = "edit_window_closed"


def edit_window() -> timedelta:
    """Return how long after writing a note its author may still change it."""
    return timedelta(minutes=settings.CONTACT_NOTE_EDIT_MINUTES)


def edit_refusal(user: access.AnyUser, note: ContactNote) -> str:
    """Return why the user may not change the note ("" if they may): only its author, and
    only within the edit window."""
    if note.author_id != getattr(user, "pk", None):
        return NOT_AUTHOR
    if timezone.now() - note.created_at > edit_window():
        return WINDOW_CLOSED
    return ""


def note_to_change(user: access.AnyUser, note_id: Any) -> ContactNote:
    """Return the note if the user may change it now; else record the denial and refuse
    (404 out of scope, 403 for someone else's note or after the window)."""
    note = access.get_for_user(user, ContactNote, note_id, "change")
    refusal = edit_refusal(user, note)
    if refusal:
        access.deny(user, NOTES.change_verb, obj=note, reason=refusal)
        raise PermissionDenied
    return note


def addenda_of(*, viewer: access.AnyUser, note: ContactNote) -> QuerySet[ContactNote]:
    """Return the addenda to a note that the viewer may read, oldest first."""
    rows = access.visible(viewer, ContactNote).filter(addendum_to_id=note.pk)
    return rows.select_related("author").order_by("created_at")


def contactnote_add(*, actor: access.AnyUser, note: ContactNote) -> ContactNote:
    """Save a new note on its case, written by the actor, and record it."""
    note.author = actor  # type: ignore[assignment]
    note.addendum_to = None
    return NOTES.save(actor=actor, instance=note)


def contactnote_change(
    *, actor: access.AnyUser, note: ContactNote, if_version: IfVersion
) -> ContactNote:
    """Save a changed note if the actor wrote it and the edit window is open; a refusal is
    recorded (``access.deny``) and raises ``PermissionDenied``."""
    refusal = edit_refusal(actor, note)
    if refusal:
        access.deny(actor, NOTES.change_verb, obj=note, reason=refusal)
        raise PermissionDenied
    return NOTES.save(actor=actor, instance=note, if_version=if_version)


def contactnote_addendum(
    *, actor: access.AnyUser, original: ContactNote, note: ContactNote
) -> ContactNote:
    """Save ``note`` as an addendum to ``original`` (or to the note it adds to), on the same
    case; the original is not touched."""
    note.case_id = original.case_id
    note.addendum_to_id = original.addendum_to_id or original.pk
    note.author = actor  # type: ignore[assignment]
    return NOTES.save(actor=actor, instance=note)
