"""The actions that ask for a figures report built in the background (decision D38).

Each stores or resets the ``ReportFile`` row (``reports.files``) and queues the worker's
task with the row's id once the row is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from uuid import UUID

from django.db import transaction

from accounts.models import AnyUser
from cases.models import AdministrativeUnit

from . import export, files, tasks
from .models import ReportFile


def _queue(row: ReportFile) -> None:
    # Ids only: the task row is stored in clear (decision D36).
    transaction.on_commit(partial(tasks.report_file_build.enqueue, str(row.pk)), robust=True)


def report_file_request(
    *,
    actor: AnyUser,
    unit: AdministrativeUnit,
    periods: Sequence[export.LabelledPeriod],
    breakdowns: Sequence[str] = (),
    sharing: bool,
    fmt: export.Format,
    old_map: bool = False,
) -> ReportFile:
    """Ask for the report to be built in the background for ``actor``; return its row."""
    with transaction.atomic():
        row = files.file_create(
            actor=actor,
            unit=unit,
            periods=periods,
            breakdowns=breakdowns,
            sharing=sharing,
            fmt=fmt,
            old_map=old_map,
        )
        _queue(row)
    return row


def report_file_restart(*, actor: AnyUser, file_id: UUID | str) -> ReportFile:
    """Build the actor's failed or stalled report again (queued at once: committed)."""
    row = files.file_restart(actor=actor, file_id=file_id)
    _queue(row)
    return row
