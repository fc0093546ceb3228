"""Queue an import: store the uploaded file under a new import's id, enqueue its task.

Apart from ``actions`` (which the task runs) so the task module and the actions do not
import each other.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import can
from accounts.models import User
from cases import access

from . import storage, tasks
from .capabilities import REGISTER_IMPORT
from .models import ImportStatus, RegisterImport


def import_queue(
    *,
    actor: User,
    source: BinaryIO,
    file_name: str,
    dry_run: bool,
    decisions: dict[str, str],
) -> RegisterImport:
    """Store an uploaded file under a new import and queue its task after the commit."""
    if access.profile_of(actor) is None or not can(actor, REGISTER_IMPORT):
        access.deny(actor, REGISTER_IMPORT, object_type="registerimport")
        raise PermissionDenied
    row = RegisterImport(created_by=actor, file_name=file_name[:300], dry_run=dry_run)
    row.decisions = {str(k): str(v) for k, v in decisions.items()}
    storage.discard_expired()
    row.data_key, row.sha256 = storage.store(str(row.pk), source)
    row.full_clean()
    with transaction.atomic():
        row.save()
        transaction.on_commit(lambda: tasks.register_import.enqueue(str(row.pk)))
    return row


def import_again(
    *, actor: User, previous: RegisterImport, dry_run: bool, decisions: dict[str, str]
) -> RegisterImport:
    """Queue the file of an earlier import of the actor's again (the real run after a check)."""
    if previous.created_by_id != actor.pk:
        access.deny(actor, REGISTER_IMPORT, object_type="registerimport", object_id=previous.pk)
        raise PermissionDenied
    stored = storage.load(str(previous.pk), previous.data_key)
    with stored.open() as source:
        return import_queue(
            actor=actor,
            source=source,
            file_name=previous.file_name,
            dry_run=dry_run,
            decisions=decisions,
        )


def import_retry(*, actor: User, previous: RegisterImport) -> RegisterImport:
    """Queue a stopped import of the actor's again: one its worker died in (stalled) or that
    failed. Its transaction died with it, so nothing of it was written (D39); the old row is
    marked failed so it is not run twice."""
    if previous.created_by_id != actor.pk:
        access.deny(actor, REGISTER_IMPORT, object_type="registerimport", object_id=previous.pk)
        raise PermissionDenied
    with transaction.atomic():
        locked = RegisterImport.objects.select_for_update().get(pk=previous.pk)
        if not (locked.stalled or locked.status == ImportStatus.FAILED):
            raise ValidationError(_("This import is not stopped."))
        locked.status = ImportStatus.FAILED
        locked.finished_at = locked.finished_at or timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        return import_again(
            actor=actor, previous=locked, dry_run=locked.dry_run, decisions=locked.decisions
        )
