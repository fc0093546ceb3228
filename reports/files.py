"""Figures reports built in the background: the requester's own files (decision D38).

A report above a size (``in_background``) is not built in the request: the page stores a
``ReportFile`` row (what to build: ids, dates, options; no person) and queues
``reports.tasks.report_file_build`` with the row's id. The worker builds it as the requester
would see it (``export.report_build`` with the requester as viewer), writes the file
encrypted with the key ring, and the requester downloads it once: the download checks the
requester's figures scope again, records the export event and deletes the file. A file
not downloaded is deleted when it expires.

Only this module reads and writes the rows; the actions that queue the task are
``reports.report_requests``.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Sequence
from typing import cast
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser
from cases import access
from cases.models import AdministrativeUnit

from . import export, suppression
from .models import ReportFile, ReportFileStatus
from .registry import Period

# A report of more tables × row units than this is built in the background. A commune's
# half-year report (one row, 23 tables today) stays in the request; a district's or a
# province's (a row per commune or district) goes to the worker.
DEFAULT_BACKGROUND_ABOVE = 100
# A built file is kept this long for its requester; a request never built, a day.
DEFAULT_FILE_MINUTES = 60
UNBUILT_HOURS = 24
# A build whose progress has not moved for this long died with its worker.
STALLED_MINUTES = 15

Status = ReportFileStatus


class FileExpired(ValidationError):
    """The file expired before it was downloaded (it has been deleted)."""


def in_background(
    unit: AdministrativeUnit, periods: Sequence[export.LabelledPeriod], breakdowns: Sequence[str]
) -> bool:
    """Return whether this report is built by the worker rather than in the request."""
    above = int(getattr(settings, "HOA_NHAP_REPORT_BACKGROUND_ABOVE", DEFAULT_BACKGROUND_ABOVE))
    return export.report_size(unit, periods, breakdowns) > above


def _scope_id(user: AnyUser) -> int | None:
    scope = access.figures_unit(user)
    return None if scope is None else scope.pk


def file_create(
    *,
    actor: AnyUser,
    unit: AdministrativeUnit,
    periods: Sequence[export.LabelledPeriod],
    breakdowns: Sequence[str],
    sharing: bool,
    fmt: export.Format,
    old_map: bool = False,
) -> ReportFile:
    """Store what the actor asked for, to be built by the worker (the caller queues it).

    The unit must already be one the actor may ask figures of
    (``reports.suppression.figures_unit_for``)."""
    files_purge()
    row = ReportFile(
        requester_id=cast(int, actor.pk),  # a signed-in user: the page requires one
        unit=unit,
        scope_unit_id=_scope_id(actor),
        request={
            "periods": [
                [p.label, p.period.start.isoformat(), p.period.end.isoformat()] for p in periods
            ],
            "breakdowns": list(breakdowns),
            "sharing": sharing,
            "format": fmt,
            "map": "old" if old_map else "new",
        },
        language=translation.get_language() or settings.LANGUAGE_CODE,
        expires_at=timezone.now() + datetime.timedelta(hours=UNBUILT_HOURS),
    )
    # The body constraints are the database's: an encrypted column cannot be tested in
    # Python (its value is ciphertext or a Revealed text, never NULL-able plain data).
    row.full_clean(validate_constraints=False)
    row.save()
    return row


def files_purge() -> int:
    """Delete every expired file (built or not); return how many."""
    deleted, _by_model = ReportFile.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def file_for(viewer: AnyUser, file_id: UUID | str) -> ReportFile:
    """Return the viewer's own report file, or record the denial and raise Http404.

    Another user's file (the same role in another unit, or anyone) is refused the same way
    as one that does not exist, so its existence does not leak."""
    found = ReportFile.objects.filter(pk=file_id, requester_id=viewer.pk).first()
    if found is None:
        access.deny(viewer, "figures.report_file", object_type="reportfile", object_id=file_id)
        raise Http404
    return found


def stalled(row: ReportFile) -> bool:
    """Return whether a build stopped with its worker (no progress for a while)."""
    limit = datetime.timedelta(minutes=STALLED_MINUTES)
    return row.status == Status.BUILDING and row.updated_at < timezone.now() - limit


def _periods(row: ReportFile) -> list[export.LabelledPeriod]:
    return [
        export.LabelledPeriod(
            label, Period(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
        )
        for label, start, end in row.request["periods"]
    ]


def _scope_still_holds(row: ReportFile) -> bool:
    """Return whether the requester may still receive this file: the same figures scope as
    when they asked, and the unit still in their province."""
    scope = access.figures_unit(row.requester)
    if scope is None or scope.pk != row.scope_unit_id:
        return False
    return row.unit.path.startswith(suppression.province_path(scope))


def _fail(file_id: UUID | str, failure: str) -> None:
    ReportFile.objects.filter(pk=file_id).exclude(status=Status.READY).update(
        status=Status.FAILED, failure=failure, updated_at=timezone.now()
    )


def file_build(*, file_id: UUID | str) -> None:
    """Build one queued report file (the worker's task); safe to run again.

    Progress is written as it goes; the file itself in one transaction at the end, so a
    worker that dies leaves the row without a body (stalled, then built again on request),
    never half a file. A file already built, downloaded or expired is left alone."""
    row = ReportFile.objects.select_related("requester", "unit").filter(pk=file_id).first()
    if row is None or row.status == Status.READY or row.expires_at < timezone.now():
        return
    ReportFile.objects.filter(pk=row.pk).update(
        status=Status.BUILDING, done=0, failure="", updated_at=timezone.now()
    )
    if not _scope_still_holds(row):
        _fail(row.pk, "scope")
        return

    def progress(done: int, total: int) -> None:
        ReportFile.objects.filter(pk=row.pk).update(
            done=done, total=total, updated_at=timezone.now()
        )

    try:
        with translation.override(row.language):
            report = export.report_build(
                viewer=row.requester,
                unit=row.unit,
                periods=_periods(row),
                breakdowns=row.request["breakdowns"],
                sharing=row.request["sharing"],
                progress=progress,
                old_map=row.request.get("map") == "old",
            )
            fmt = row.request["format"]
            body = export.to_xlsx(report) if fmt == "xlsx" else export.to_csv(report)
    except Exception:
        _fail(row.pk, "error")
        raise  # the task is marked failed too, with its traceback, for the operator
    minutes = int(getattr(settings, "HOA_NHAP_REPORT_FILE_MINUTES", DEFAULT_FILE_MINUTES))
    with transaction.atomic():
        locked = ReportFile.objects.select_for_update().filter(pk=row.pk).first()
        if locked is None:  # expired and purged meanwhile
            return
        locked.body = base64.b64encode(body).decode("ascii")
        locked.status = Status.READY
        locked.failure = ""
        locked.name = export.file_name(row.unit, report.as_of, fmt)
        locked.content_type = export.CONTENT_TYPES[fmt]
        locked.tables = len(report.tables)
        locked.suppressed_tables = sum(not t.exact for t in report.tables)
        locked.expires_at = timezone.now() + datetime.timedelta(minutes=minutes)
        locked.full_clean(validate_constraints=False)  # as in file_create
        locked.save()


def file_restart(*, actor: AnyUser, file_id: UUID | str) -> ReportFile:
    """Put the actor's failed or stalled file back in the queue (the caller queues it)."""
    row = file_for(actor, file_id)  # a denial commits before the 404
    with transaction.atomic():
        row = ReportFile.objects.select_for_update().get(pk=row.pk)
        if row.status != Status.FAILED and not stalled(row):
            raise ValidationError(_("This report is not stopped."))
        row.status = Status.QUEUED
        row.done = row.total = 0
        row.failure = ""
        row.expires_at = timezone.now() + datetime.timedelta(hours=UNBUILT_HOURS)
        row.full_clean(validate_constraints=False)  # as in file_create
        row.save()
    return row


def file_download(*, actor: AnyUser, file_id: UUID | str) -> export.ExportFile:
    """Hand the actor their built file once: check their scope again, record the export,
    delete the file.

    Another user's file is denied (404); a requester whose figures scope changed since
    they asked is denied (403) and the file deleted; an expired file is deleted
    (``FileExpired``). Each refusal is committed before it is raised."""
    owned = file_for(actor, file_id)
    refusal: Exception | None = None
    with transaction.atomic():
        row = ReportFile.objects.select_for_update().select_related("unit").filter(pk=owned.pk)
        found = row.first()
        if found is None:  # downloaded or purged between the two reads
            raise FileExpired(_("This report expired before it was downloaded."))
        if found.expires_at < timezone.now():
            found.delete()
            refusal = FileExpired(_("This report expired before it was downloaded."))
        elif found.status != Status.READY:
            raise ValidationError(_("This report is not ready yet."))
        elif not _scope_still_holds(found):
            access.deny(
                actor,
                "figures.report_file",
                object_type="reportfile",
                object_id=found.pk,
                reason="scope_changed",
            )
            found.delete()
            refusal = PermissionDenied()
        else:
            body = base64.b64decode(str(found.body))
            request = found.request
            export.export_record(
                actor=actor,
                unit=found.unit,
                fmt=request["format"],
                sharing=request["sharing"],
                breakdowns=request["breakdowns"],
                periods=[[start, end] for _label, start, end in request["periods"]],
                tables=found.tables,
                suppressed_tables=found.suppressed_tables,
                built_in_background=str(found.pk),
            )
            name, content_type = found.name, found.content_type
            found.delete()
    if refusal is not None:
        raise refusal
    return export.ExportFile(name, content_type, body)
