"""Make a document with its sealed file in the storage, without the attach action (for tests
that need one on a case their actor may not add to, as the authorization matrix does)."""

from __future__ import annotations

from typing import Any

from cases.models import Case
from documents import files
from documents.actions import _attach_to_record
from documents.models import Document, FileType


def make_document(
    case: Case, *, added_by: Any, kind: str, photo: bytes | None = None, record: Any = None
) -> Document:
    """Return a saved document of ``kind``: a PNG photo (with thumbnail) or a PDF; on
    ``record`` (one of the case's records) when given, with that record's part."""
    document = Document(case=case, kind=kind, added_by=added_by)
    if record is not None:
        _attach_to_record(document, record)
    key = files.new_data_key()
    document.data_key = key
    content = photo if photo is not None else b"%PDF-1.4\n%%EOF\n"
    document.file_name = "anh.png" if photo is not None else "giay.pdf"
    document.file_type = FileType.PNG if photo is not None else FileType.PDF
    document.size = len(content)
    document.stored_as = files.store(
        files.seal(content, data_key=key, document_id=document.pk, role="original")
    )
    if photo is not None:
        document.thumbnail_as = files.store(
            files.seal(photo, data_key=key, document_id=document.pk, role="thumbnail")
        )
    document.save()
    return document
