"""Read documents: the ones a viewer may open on a case, and a file's bytes (an audited read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from audit.reads import record_read
from cases import access
from cases.models import Case

from . import files
from .models import Document
from .records import DOWNLOADED


@dataclass(frozen=True)
class Opened:
    """A decrypted file ready to send."""

    document: Document
    content: bytes
    content_type: str
    file_name: str


def documents_on_case(*, viewer: Any, case: Case) -> QuerySet[Document]:
    """Return the case's documents the viewer may open (by each one's referral part)."""
    rows = access.visible(viewer, Document).filter(case=case)
    return rows.select_related("added_by").order_by("-dated_on", "-added_at")


def document_open(*, viewer: Any, document_id: Any, thumbnail: bool = False) -> Opened:
    """Return a document's file decrypted, recording the read; refuse (404 and a denial
    event) what the viewer may not open, as ``access.get_for_user`` does."""
    document = access.get_for_user(viewer, Document, document_id, record_read=False)
    if thumbnail and not document.thumbnail_as:
        raise Http404
    role = "thumbnail" if thumbnail else "original"
    sealed = files.load(document.thumbnail_as if thumbnail else document.stored_as)
    content = files.unseal(
        sealed, data_key=str(document.data_key), document_id=document.pk, role=role
    )
    record_read(
        actor=viewer,
        action=DOWNLOADED,
        obj=document,
        person_id=document.case.person_id,
        detail={"file": role},
    )
    content_type = "image/jpeg" if thumbnail else document.file_type
    return Opened(document, content, content_type, str(document.file_name))
