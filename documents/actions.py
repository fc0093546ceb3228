"""Write documents: attach a file (checked, encrypted, stored) and change a document's details."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.capabilities import can
from accounts.models import AnyUser, account_of
from audit.actions import record as audit_record
from audit.editing import save_edit
from cases import access
from core.editing import OVERRIDE, IfVersion

from . import files
from .models import Document
from .records import DOCUMENTS, REENCRYPTED, REPLACED, WITHDRAWN


def document_attach(
    *,
    actor: AnyUser,
    document: Document,
    name: str,
    data: bytes,
    record: models.Model | None = None,
) -> Document:
    """Check the file by its content, encrypt it under a new data key, store it and save the
    document through the recipe's save step (verb check, history, event).

    ``record``: the record of the document's case it is attached to (a screening, a
    referral); the document then carries that record's part too (D55).

    A refused file raises ValidationError and stores nothing. If the save is refused or
    fails, the stored objects are removed again, so no orphan ciphertext stays behind.
    """
    if record is not None:
        _attach_to_record(document, record)
    checked = files.check_upload(name=name, data=data)
    document.data_key = files.new_data_key()
    document.file_name = name[-200:]
    document.file_type = checked.file_type
    document.size = len(checked.content)
    document.added_by = account_of(actor)
    key = str(document.data_key)
    stored: list[str] = []
    try:
        document.stored_as = files.store(
            files.seal(checked.content, data_key=key, document_id=document.pk, role="original")
        )
        stored.append(document.stored_as)
        if checked.thumbnail is not None:
            document.thumbnail_as = files.store(
                files.seal(
                    checked.thumbnail, data_key=key, document_id=document.pk, role="thumbnail"
                )
            )
            stored.append(document.thumbnail_as)
        return DOCUMENTS.save(actor=actor, instance=document)
    except BaseException:
        for name_in_storage in stored:
            files.storage().delete(name_in_storage)
        raise


def document_change(*, actor: AnyUser, document: Document, if_version: IfVersion) -> Document:
    """Save a document's changed details (type, date, note) unless someone saved it since."""
    return DOCUMENTS.save(actor=actor, instance=document, if_version=if_version)


def _attach_to_record(document: Document, record: models.Model) -> None:
    """Name the record on the document, with the record's part (whole-case viewers only when
    the record is in no part, or in every viewer's: a referral)."""
    if getattr(record, "case_id", None) != document.case_id or document.record_type:
        raise ValidationError("a document is attached to a record of its own case, once")
    part = access.record_part_of(type(record))
    if not isinstance(part, str) or part == access.ANY_PART:
        part = ""
    document.record_type = record._meta.label_lower
    document.record_id = record.pk
    document.record_part = part or access.WHOLE_CASE


def document_reencrypt(*, document_id: Any, older_than: datetime.datetime, by: str) -> bool:
    """Seal a document's file and thumbnail again under a new data key; return whether it
    was done (False: keyed since ``older_than``, e.g. by an earlier run).

    The new sealed objects are stored first; the row then names them, with a history row
    and a ``document_reencrypted`` event (``by``: the operator), in one transaction; the old
    objects are deleted once it commits, so the old data key opens nothing that is kept.
    """
    stored: list[str] = []
    try:
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=document_id)
            if document.keyed_at >= older_than:
                return False
            old_key, new_key = str(document.data_key), files.new_data_key()
            old_names = [name for name in (document.stored_as, document.thumbnail_as) if name]
            for role in ("original", "thumbnail"):
                attribute = "stored_as" if role == "original" else "thumbnail_as"
                name = getattr(document, attribute)
                if not name:
                    continue
                content = files.unseal(
                    files.load(name), data_key=old_key, document_id=document.pk, role=role
                )
                sealed = files.seal(content, data_key=new_key, document_id=document.pk, role=role)
                setattr(document, attribute, files.store(sealed))
                stored.append(getattr(document, attribute))
            document.data_key = new_key
            document.keyed_at = timezone.now()
            document.save()
            audit_record(
                actor=None,
                action=REENCRYPTED,
                obj=document,
                detail={"by": by, "files": len(stored)},
            )
            transaction.on_commit(lambda: _delete(old_names))
    except BaseException:
        _delete(stored)
        raise
    return True


def _delete(names: list[str]) -> None:
    for name in names:
        files.storage().delete(name)


def _require_change(actor: AnyUser, document: Document) -> None:
    if not can(actor, DOCUMENTS.change_verb, document):
        access.deny(actor, DOCUMENTS.change_verb, obj=document)
        raise PermissionDenied


def document_withdraw(*, actor: AnyUser, document: Document, reason: str) -> Document:
    """Withdraw a document for a written reason: its sealed file and thumbnail are destroyed
    once this commits; the row (facts, who, when, why), its history and events stay (D55)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the document is withdrawn.")})
    _require_change(actor, document)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError(gettext("This document has already been withdrawn."))
        destroyed = [name for name in (locked.stored_as, locked.thumbnail_as) if name]
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = account_of(actor)
        locked.withdrawal_reason = reason
        locked.stored_as = locked.thumbnail_as = ""
        saved = save_edit(
            actor=actor,
            instance=locked,
            action=WITHDRAWN,
            if_version=OVERRIDE,
            detail={"files_destroyed": len(destroyed)},
        )
        transaction.on_commit(lambda: _delete(destroyed))
    return saved


def document_replace(
    *, actor: AnyUser, old: Document, document: Document, name: str, data: bytes
) -> Document:
    """Attach ``document`` (a new file, date and note) as the new version of ``old``: same
    case, kind and record; ``old`` stays, with its file, marked as replaced (D55)."""
    _require_change(actor, old)
    document.case_id = old.case_id
    document.kind = old.kind
    document.record_type, document.record_id = old.record_type, old.record_id
    document.record_part = old.record_part
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=old.pk)
        if not locked.is_current:
            raise ValidationError(gettext("Only the current version of a document is replaced."))
        new = document_attach(actor=actor, document=document, name=name, data=data)
        locked.replaced_by = new
        save_edit(
            actor=actor,
            instance=locked,
            action=REPLACED,
            if_version=OVERRIDE,
            detail={"new_version": str(new.pk)},
        )
    return new
