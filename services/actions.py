"""Write service records: fetch the case through cases.access, save with history and event.

Every record kind goes through the same two actions; what differs between kinds (the rules
of treatment episodes, the stages, the catalogue) lives in the model's ``clean()`` and in the
``checks`` a kind passes, which run inside the same save step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from accounts.capabilities import can
from audit import actions as audit
from cases import access, dues
from cases.models import Case
from core.editing import OVERRIDE, IfVersion, save_edit

from .capabilities import LOCATION_REVEAL, SERVICE_ADD, SERVICE_CHANGE
from .events import ServiceAction
from .instruments import Result
from .models import CaseRecord, Reception, Screening, ScreeningScore

Check = Callable[[Any], None]


def record_add[R: CaseRecord](*, actor: Any, record: R, checks: Iterable[Check] = ()) -> R:
    """Save a new record on a case the actor may change, refresh what is due, record it."""
    case = access.get_for_user(actor, Case, record.case_id, "change", record_read=False)
    if not can(actor, SERVICE_ADD, case):
        raise PermissionDenied
    record.case = case
    record.recorded_by = actor
    if hasattr(record, "responsible_id") and record.responsible_id is None:
        # Someone must see a planned item come due: the case's staff member, else its author.
        record.responsible_id = case.assigned_to_id or actor.pk
    with transaction.atomic():
        save_edit(
            actor=actor, instance=record, action=ServiceAction.RECORD_ADDED,
            if_version=OVERRIDE, checks=checks, detail={"kind": type(record)._meta.model_name},
        )  # fmt: skip
        dues.case_refresh(case_id=case.pk)
    return record


def record_change[R: CaseRecord](
    *, actor: Any, record: R, if_version: IfVersion, checks: Iterable[Check] = ()
) -> R:
    """Save an edited record the actor may change (refusing a lost update), and record it."""
    access.get_for_user(actor, type(record), record.pk, "change", record_read=False)
    if not can(actor, SERVICE_CHANGE, record):
        raise PermissionDenied
    with transaction.atomic():
        save_edit(
            actor=actor, instance=record, action=ServiceAction.RECORD_CHANGED,
            if_version=if_version, checks=checks,
            detail={"kind": type(record)._meta.model_name},
        )  # fmt: skip
        dues.case_refresh(case_id=record.case_id)
    return record


def location_reveal(*, actor: Any, reception: Reception) -> Reception:
    """Record that the actor is shown a returnee's location and contact details."""
    access.get_for_user(actor, Reception, reception.pk, "change", record_read=False)
    if not can(actor, LOCATION_REVEAL, reception):
        raise PermissionDenied
    audit.record(actor=actor, action=ServiceAction.LOCATION_REVEALED, obj=reception)
    return reception


def screening_record(*, actor: Any, screening: Screening, result: Result) -> Screening:
    """Save a scored screening and its per-subject scores, and record it."""
    with transaction.atomic():
        record_add(actor=actor, record=screening)
        scores = [
            ScreeningScore(screening=screening, item=entry.subject, score=entry.score,
                           level=entry.level)
            for entry in result.scores
        ]  # fmt: skip
        bulk_create_with_history(scores, ScreeningScore, default_user=actor)
    return screening
