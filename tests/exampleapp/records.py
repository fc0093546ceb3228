"""The case note as a record type: one spec, wired by ``cases.records.register``."""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import records

from .models import CaseNote, Topic

NOTES = records.RecordType(
    model=CaseNote,
    name="casenote",  # events casenote_added/_changed, verbs casenote.add/.change
    label=_("Case note"),
    added=_("Added a case note"),
    changed=_("Changed a case note"),
    date_field="written_on",
    title=lambda note: Topic(note.topic).label,  # never the note's text
    detail_url="exampleapp:note_detail",
    add_url="exampleapp:note_add",
    part="notes",  # a referral that shares "notes" shows it
    due=records.Due(open=Q(next_contact_on__isnull=False), due_field="next_contact_on"),
    # Its API endpoints (/api/v1/case-notes/…), from this registration alone (D58).
    api=records.Api(
        path="case-notes",
        id_param="casenote_id",
        fields=("written_on", "topic", "text", "next_contact_on", "responsible"),
        writable=("written_on", "topic", "text", "next_contact_on", "responsible"),
        form=lambda data, row, user: _form(data, row),
    ),
)


def _form(data: dict[str, Any], row: CaseNote) -> Any:
    from .forms import CaseNoteForm

    return CaseNoteForm(data, instance=row)
