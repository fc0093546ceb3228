"""The document as a record type: one spec, wired by ``cases.records.register``.

Each row's own ``part`` (derived from its kind) decides which referral receivers open it
(``access.RowPart``): an ID card copy goes with ``identity``, a medical certificate with
``treatment``. A document attached to one record of the case (a screening) also needs that
record's part (``record_part``): a receiver opens it only with both shared.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import access, records

from .models import Document, Kind


def _title(document: Document) -> str:
    """The timeline's line: the kind, and whether it was withdrawn or replaced."""
    label = str(Kind(document.kind).label)
    if document.withdrawn_at is not None:
        return gettext("%(kind)s (withdrawn)") % {"kind": label}
    if document.replaced_by_id is not None:
        return gettext("%(kind)s (replaced by a new version)") % {"kind": label}
    return label


DOCUMENTS = records.RecordType(
    model=Document,
    name="document",  # events document_added/_changed, verbs document.add/.change
    label=_("Document"),
    added=_("Added a document"),
    changed=_("Changed a document's details"),
    date_field="dated_on",
    title=lambda document: _title(document),  # never the file's name
    detail_url="documents:document_detail",
    add_url="documents:document_add",
    # The kind's part, and the part of the record it is attached to (D55).
    part=access.RowPart("part", also="record_part"),
    # The API (D58): the metadata, never the file or its name; a file is added on the page.
    api=records.Api(
        path="documents",
        id_param="document_id",
        fields=("kind", "dated_on", "file_type", "size", "added_at", "withdrawn_at"),
    ),
)

# Every download of a file (the original or its thumbnail) is a read event of its own.
DOWNLOADED = "document_downloaded"

# Sealing a document's files again under a new data key (``reencrypt_documents``).
REENCRYPTED = "document_reencrypted"
# Withdrawing a document (its file destroyed) and replacing it by a new version (D55).
WITHDRAWN = "document_withdrawn"
REPLACED = "document_replaced"
