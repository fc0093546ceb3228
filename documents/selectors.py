"""Read documents: the ones a viewer may open on a case, and a file's bytes (an audited read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can
from accounts.models import AnyUser
from cases import access, records, timeline
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
    # One read event, flagged like any read made under an emergency access. A withdrawn
    # document has no file left: 404 (and a denial), as for a file one may not open.
    document = access.get_for_user(
        viewer,
        Document,
        document_id,
        read_action=DOWNLOADED,
        read_detail={"file": role},
        queryset=access.visible(viewer, Document).filter(withdrawn_at__isnull=True),
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
        .filter(case__in=cases, withdrawn_at__isnull=True, replaced_by__isnull=True)
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


# --- documents of one record of a case (D55) -------------------------------------------


def attachable_model(label: str) -> type[models.Model]:
    """Return the record model a document may be attached to, by its label
    (``services.screening``), or answer 404: a model with its own foreign key to a case and
    a UUID id, whose part is one part (not each row's own: a document on a document)."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404 from None
    if (
        model is Document
        or not access.is_scoped(model)
        or access.scope_path(model) != "case"
        or not isinstance(model._meta.pk, models.UUIDField)
        or isinstance(access.record_part_of(model), access.RowPart)
    ):
        raise Http404
    return model


def record_to_attach_to(viewer: AnyUser, label: str, record_id: Any) -> tuple[models.Model, Case]:
    """Return the record and its open case the viewer may attach a document to; else record
    the denial (naming the record) and answer 404."""
    model = attachable_model(label)
    record = access.get_for_user(viewer, model, record_id, "change", record_read=False)
    case = record.case  # type: ignore[attr-defined]
    if case.status != CaseStatus.OPEN or not can(viewer, DOCUMENTS.add_verb, case):
        access.deny(viewer, DOCUMENTS.add_verb, obj=record)
        raise Http404
    return record, case


def _record_url(record: models.Model) -> str:
    for spec in records.registered():
        if isinstance(record, spec.model):
            return spec.url(record)
    name = f"{record._meta.app_label}:{record._meta.model_name}_detail"
    try:  # app:<model>_detail (a referral)
        return reverse(name, args=[record.pk])
    except NoReverseMatch:
        pass
    from services import selectors as service_selectors  # the services' records

    try:
        return service_selectors.record_url(record)  # type: ignore[arg-type]
    except (StopIteration, AttributeError):
        return ""


@dataclass(frozen=True)
class RecordLink:
    label: str
    url: str


def record_link(viewer: AnyUser, document: Document) -> RecordLink | None:
    """Return the record a document is attached to, if the viewer may open it."""
    if not document.record_type:
        return None
    try:
        model = attachable_model(document.record_type)
    except Http404:
        return None
    record = access.visible(viewer, model).filter(pk=document.record_id).first()
    if record is None:
        return None
    return RecordLink(str(model._meta.verbose_name).capitalize(), _record_url(record))


@dataclass(frozen=True)
class RecordDocuments:
    documents: list[Document]
    add_url: str  # "" when the viewer may not attach one


def record_documents(viewer: AnyUser, record: models.Model) -> timeline.PersonSection | None:
    """Return a record page's "Documents" section: the record's documents the viewer may
    open, and where to attach one (an open case the viewer may add to)."""
    label = record._meta.label_lower
    try:
        attachable_model(label)
    except Http404:
        return None
    documents = list(
        access.visible(viewer, Document)
        .filter(
            record_type=label,
            record_id=record.pk,
            withdrawn_at__isnull=True,
            replaced_by__isnull=True,
        )
        .order_by("-dated_on", "-added_at")[:PERSON_PAGE_ROWS]
    )
    case = getattr(record, "case", None)
    add_url = ""
    if (
        isinstance(case, Case)
        and case.status == CaseStatus.OPEN
        and can(viewer, DOCUMENTS.add_verb, case)
    ):
        add_url = reverse("documents:record_document_add", args=[label, record.pk])
    if not documents and not add_url:
        return None
    return timeline.PersonSection(
        _("Documents"),
        "documents/includes/record_documents.html",
        [RecordDocuments(documents, add_url)],
        "record-documents",
    )


def keyed_before(moment: Any) -> list[Any]:
    """Return the ids of the documents whose data key was made before ``moment``."""
    rows = Document.objects.filter(keyed_at__lt=moment).order_by("keyed_at", "pk")
    return list(rows.values_list("pk", flat=True))


def document_to_change(viewer: AnyUser, document_id: Any, *, replace: bool = False) -> Document:
    """Return a document the viewer may withdraw (not withdrawn yet) or replace (the current
    version); anything else answers 404 with a denial."""
    rows = access.visible(viewer, Document, "change").filter(withdrawn_at__isnull=True)
    if replace:
        rows = rows.filter(replaced_by__isnull=True)
    return access.get_for_user(viewer, Document, document_id, "change", queryset=rows)


def earlier_versions(viewer: AnyUser, document: Document) -> list[Document]:
    """Return the versions this document replaced, newest first, that the viewer may open."""
    found: list[Document] = []
    current: Document | None = document
    while current is not None and len(found) < PERSON_PAGE_ROWS:
        current = access.visible(viewer, Document).filter(replaced_by_id=current.pk).first()
        if current is not None:
            found.append(current)
    return found
