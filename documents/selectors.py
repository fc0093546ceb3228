"""Read documents: the ones a viewer may open on a case, and a file's bytes (an audited read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can
from accounts.models import AnyUser
from cases import access, timeline
from cases.choices import CaseStatus
from cases.models import Case, Person

from . import files
from .models import Document
from .records import DOCUMENTS, DOWNLOADED

PERSON_PAGE_ROWS = 50


@dataclass(frozen=True)
class Opened:
    """A decrypted file ready to send."""

    document: Document
    content: bytes
    content_type: str


def document_open(*, viewer: AnyUser, document_id: Any, thumbnail: bool = False) -> Opened:
    """Return a document's file decrypted, recording the read; refuse (404 and a denial
    event) what the viewer may not open, as ``access.get_for_user`` does."""
    role = "thumbnail" if thumbnail else "original"
    # One read event, flagged like any read made under an emergency access.
    document = access.get_for_user(
        viewer, Document, document_id, read_action=DOWNLOADED, read_detail={"file": role}
    )
    if thumbnail and not document.thumbnail_as:
        raise Http404
    sealed = files.load(document.thumbnail_as if thumbnail else document.stored_as)
    content = files.unseal(
        sealed, data_key=str(document.data_key), document_id=document.pk, role=role
    )
    content_type = "image/jpeg" if thumbnail else document.file_type
    return Opened(document, content, content_type)


@dataclass(frozen=True)
class PersonDocuments:
    documents: list[Document]
    add_to: list[Case]  # the person's open cases the viewer may attach a document to


def person_documents(viewer: AnyUser, person: Person) -> timeline.PersonSection | None:
    """Return the person page's "Documents" section: the documents of the person's cases the
    viewer may open (by each one's part), and the cases they may attach one to."""
    cases = access.visible_cases(viewer).filter(person_id=person.pk).order_by("-opened_on")
    documents = list(
        access.visible(viewer, Document)
        .filter(case__in=cases)
        .select_related("case")
        .order_by("-dated_on", "-added_at")[:PERSON_PAGE_ROWS]
    )
    open_cases = access.visible_cases(viewer, "change").filter(
        person_id=person.pk, status=CaseStatus.OPEN
    )
    add_to = [case for case in open_cases if can(viewer, DOCUMENTS.add_verb, case)]
    if not documents and not add_to:
        return None
    return timeline.PersonSection(
        _("Documents"),
        "documents/includes/person_documents.html",
        [PersonDocuments(documents, add_to)],
        "person-documents",
    )
