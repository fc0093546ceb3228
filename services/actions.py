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

from accounts.capabilities import can
from audit import actions as audit
from cases import access, dues
from cases.models import Case
from core.editing import OVERRIDE, IfVersion, save_edit

from .capabilities import LOCATION_REVEAL, SERVICE_ADD, SERVICE_CHANGE
from .events import ServiceAction
from .models import CaseRecord, EpisodeStage, Reception, TreatmentEpisode

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


def stage_record(*, actor: Any, stage: EpisodeStage, if_version: IfVersion) -> EpisodeStage:
    """Save a new or edited stage of an episode the actor may change, and record it."""
    episode = access.get_for_user(
        actor, TreatmentEpisode, stage.episode_id, "change", record_read=False
    )
    adding = stage._state.adding
    if not adding:
        access.get_for_user(actor, EpisodeStage, stage.pk, "change", record_read=False)
    if not can(actor, SERVICE_CHANGE, episode):
        raise PermissionDenied
    stage.episode = episode
    save_edit(
        actor=actor, instance=stage,
        action=ServiceAction.RECORD_ADDED if adding else ServiceAction.RECORD_CHANGED,
        if_version=OVERRIDE if adding else if_version,
        detail={"kind": "episodestage", "stage": stage.stage},
    )  # fmt: skip
    return stage
