"""Large register exports: queued for the background worker, written there, handed over.

An export of more people than ``REGISTER_EXPORT_INLINE_PEOPLE`` would hold a request (and a
worker of the web server) for minutes, so the page keeps it as a ``RegisterExport`` and
queues ``register_export_task`` (decision D40); the worker writes the file with the same
``registers.export.register_export`` as the page, into ``REGISTER_EXPORT_DIR``, and only the
user who asked may see its progress and download it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.tasks import task
from django.utils import timezone

from accounts.models import User
from audit.actions import record
from cases import access

from . import storage
from .export import Format, file_name, register_export, register_export_refuse
from .export_events import ExportAction
from .export_models import ExportStatus, RegisterExport
from .export_scope import Scope, scope_for, scope_people


def is_large(actor: access.AnyUser, scope: Scope) -> bool:
    """Return whether the scope holds more people than a request should write."""
    limit = settings.REGISTER_EXPORT_INLINE_PEOPLE
    return scope_people(actor, scope)[: limit + 1].count() > limit


def register_export_queue(
    *, actor: access.AnyUser, scope: Scope, out_format: Format
) -> RegisterExport:
    """Keep a large export's request and queue it for the worker, after the commit."""
    register_export_refuse(actor)
    assert isinstance(actor, User)  # noqa: S101  (only staff hold the verb)
    storage.discard_expired_exports()
    row = RegisterExport(
        requested_by=actor,
        kind=scope.kind,
        unit=scope.unit,
        out_format=out_format,
        file_name=file_name(scope, out_format),
    )
    with transaction.atomic():
        row.save()
        record(
            actor=actor,
            action=ExportAction.REGISTER_EXPORT_QUEUED,
            object_type="register",
            object_id=str(row.pk),
            detail={"export": str(row.pk), "scope": scope.describe(), "format": out_format},
        )
        export_id = str(row.pk)
        transaction.on_commit(lambda: register_export_task.enqueue(export_id))
    return row


def _open_private(path: Path) -> IO[bytes]:
    """Open a new file only the application's user may read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def register_export_run(*, export_id: str) -> int:
    """Write a queued export's file (the worker's task); return how many people it holds.

    Re-runnable: the file is written under a temporary name and renamed when whole, so a
    worker killed mid-way leaves no file to download, and running the task again writes it
    afresh. The scope is checked again as the user stands now: a user who lost the verb or
    the area since asking gets a failed export (and the refusal is a denial event).
    """
    row = RegisterExport.objects.select_related("requested_by", "unit").get(pk=export_id)
    if row.status == ExportStatus.DONE and row.path.exists():
        return row.people
    try:
        scope = scope_for(row.requested_by, row.kind, row.unit.code if row.unit else "")
    except Http404:
        _finish(row, ExportStatus.FAILED)
        return 0
    row.total = scope_people(row.requested_by, scope).count()
    row.status, row.people = ExportStatus.RUNNING, 0
    row.data_key = storage.new_data_key()  # a new key for each file written
    row.save(update_fields=["total", "status", "people", "data_key"])
    partial = row.path.with_name(row.path.name + ".part")

    def progress(people: int) -> None:
        RegisterExport.objects.filter(pk=row.pk).update(people=people)

    try:
        with _open_private(partial) as raw:
            out = storage.SealingWriter(raw, data_key=row.data_key, export_id=row.pk)
            summary = register_export(
                actor=row.requested_by,
                scope=scope,
                out_format=row.out_format,  # type: ignore[arg-type]
                out=out,  # type: ignore[arg-type]
                export_id=row.pk,
                progress=progress,
            )
            out.close()  # the last chunk
        os.replace(partial, row.path)
    except BaseException:
        partial.unlink(missing_ok=True)
        _finish(row, ExportStatus.FAILED)
        raise
    row.people = summary.people
    _finish(row, ExportStatus.DONE)
    return summary.people


def _finish(row: RegisterExport, status: str) -> None:
    row.status, row.finished_at = status, timezone.now()
    row.save(update_fields=["status", "finished_at", "people"])


def export_for_user(user: access.AnyUser, export_id: Any) -> RegisterExport:
    """Return one of the user's own queued exports; anyone else's is a 404 and a denial."""
    row = RegisterExport.objects.filter(pk=export_id, requested_by_id=user.pk).first()
    if row is None:
        access.deny(user, "view_register_export", object_type="registerexport", object_id=export_id)
        raise Http404
    return row


def exports_of(user: access.AnyUser, *, limit: int = 10) -> list[RegisterExport]:
    """Return the user's latest queued exports."""
    return list(
        RegisterExport.objects.filter(requested_by_id=user.pk)
        .select_related("unit")
        .order_by("-created_at")[:limit]
    )


def register_export_file(*, actor: access.AnyUser, export: RegisterExport) -> Iterator[bytes]:
    """Return a finished export's file for download, decrypted chunk by chunk, and record
    that it was handed over. The file is removed once it has been read to its end (D44)."""
    if export.status != ExportStatus.DONE or not export.path.exists():
        raise Http404
    record(
        actor=actor,
        action=ExportAction.REGISTER_EXPORT_DOWNLOADED,
        object_type="register",
        object_id=str(export.pk),
        detail={"export": str(export.pk), "people": export.people},
    )
    return _handed_over(export)


def _handed_over(export: RegisterExport) -> Iterator[bytes]:
    yield from storage.unsealed_chunks(export.path, data_key=export.data_key, export_id=export.pk)
    export.path.unlink(missing_ok=True)  # read to its end: handed over


@task()
def register_export_task(export_id: str) -> int:
    """Write a queued register export's file; return how many people it holds.

    The argument is the export's id only: the task reads who asked and for what from the row.
    """
    return register_export_run(export_id=export_id)
