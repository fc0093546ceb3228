"""Write service records: fetch the case through cases.access, save with history and event.

Every record kind goes through the same two actions; what differs between kinds (the rules
of treatment episodes, the stages, the catalogue) lives in the model's ``clean()`` and in the
``checks`` a kind passes, which run inside the same save step.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.capabilities import can
from accounts.models import account_of
from audit import actions as audit
from audit.editing import save_edit
from cases import access, dues
from cases.models import Case
from core.editing import OVERRIDE, IfVersion

from .capabilities import CATALOGUE_MANAGE, LOCATION_REVEAL, SERVICE_ADD, SERVICE_CHANGE
from .events import ServiceAction
from .instruments import Result
from .models import (
    CaseRecord,
    EpisodeStage,
    FollowUp,
    FollowUpKind,
    PostRehabPeriod,
    Screening,
    ScreeningScore,
    ServiceType,
    ShelterStay,
    TreatmentEpisode,
)
from .models.base import overlapping
from .officers import postrehab_officers
from .regulations import add_months

Check = Callable[[Any], None]
# A step run after the record is saved, inside the same transaction (actor, record).
After = Callable[[Any, Any], None]


def record_add[R: CaseRecord](
    *, actor: access.AnyUser, record: R, checks: Iterable[Check] = (), after: Iterable[After] = ()
) -> R:
    """Save a new record on a case the actor may change, refresh what is due, record it."""
    case = access.get_for_user(actor, Case, record.case_id, "change", record_read=False)
    if not can(actor, SERVICE_ADD, case):
        raise PermissionDenied
    record.case = case
    record.recorded_by = account_of(actor)
    if hasattr(record, "responsible_id") and record.responsible_id is None:
        # Someone must see a planned item come due: the case's staff member, else its author.
        record.responsible_id = case.assigned_to_id or actor.pk
    with transaction.atomic():
        save_edit(
            actor=actor,
            instance=record,
            action=ServiceAction.RECORD_ADDED,
            if_version=OVERRIDE,
            checks=checks,
            detail={"kind": type(record)._meta.model_name},
        )
        for step in after:
            step(actor, record)
        dues.case_refresh(case_id=case.pk)
    return record


def record_change[R: CaseRecord](
    *,
    actor: access.AnyUser,
    record: R,
    if_version: IfVersion,
    checks: Iterable[Check] = (),
    after: Iterable[After] = (),
) -> R:
    """Save an edited record the actor may change (refusing a lost update), and record it."""
    access.get_for_user(actor, type(record), record.pk, "change", record_read=False)
    if not can(actor, SERVICE_CHANGE, record):
        raise PermissionDenied
    with transaction.atomic():
        save_edit(
            actor=actor,
            instance=record,
            action=ServiceAction.RECORD_CHANGED,
            if_version=if_version,
            checks=checks,
            detail={"kind": type(record)._meta.model_name},
        )
        for step in after:
            step(actor, record)
        dues.case_refresh(case_id=record.case_id)
    return record


def followup_record_visit(
    *,
    actor: access.AnyUser,
    followup: FollowUp,
    done_on: datetime.date,
    note: str,
    if_version: IfVersion,
) -> FollowUp:
    """Record a planned follow-up as done: only its date and note change, not its plan."""
    followup = access.get_for_user(actor, FollowUp, followup.pk, "change", record_read=False)
    if not can(actor, SERVICE_CHANGE, followup):
        raise PermissionDenied
    if followup.cancelled_on is not None:
        raise ValidationError(_("This follow-up was cancelled; plan a new one instead."))
    followup.done_on, followup.note = done_on, note
    with transaction.atomic():
        save_edit(
            actor=actor,
            instance=followup,
            action=ServiceAction.FOLLOWUP_DONE,
            if_version=if_version,
            detail={"kind": "followup", "period": str(followup.period_id)},
        )
        dues.case_refresh(case_id=followup.case_id)
    return followup


def location_reveal[R: CaseRecord](
    *, actor: access.AnyUser, record: R, via: str = "record_page"
) -> R:
    """Record that the actor is shown a returnee's location and contact details.

    ``via`` says where: the record page's "show" button, or the edit form (``edit_form``),
    which shows the masked values to edit them.
    """
    access.get_for_user(actor, type(record), record.pk, "change", record_read=False)
    if not can(actor, LOCATION_REVEAL, record):
        raise PermissionDenied
    audit.record(
        actor=actor, action=ServiceAction.LOCATION_REVEALED, obj=record, detail={"via": via}
    )
    return record


# --- post-rehab management -------------------------------------------------------------------


def checkin_months() -> int:
    """Return the months between two planned post-rehab check-ins (a setting, default 1)."""
    return max(1, int(getattr(settings, "POSTREHAB_CHECKIN_MONTHS", 1)))


def checkin_dates(period: PostRehabPeriod) -> list[datetime.date]:
    """Return the dates the period's check-ins fall due: every interval up to its planned end."""
    step, dates = checkin_months(), []
    due = add_months(period.started_on, step)
    while due <= period.planned_end_on:
        dates.append(due)
        due = add_months(period.started_on, step * (len(dates) + 1))
    return dates


def postrehab_check(period: PostRehabPeriod) -> None:
    """Refuse a second open period on a case, and an officer who does not serve the person."""
    others = PostRehabPeriod.objects.filter(case_id=period.case_id).exclude(pk=period.pk)
    if period.is_open and others.filter(outcome="ongoing").exists():
        raise ValidationError(
            _("This case already has an open post-rehab management period: close it first.")
        )
    before = PostRehabPeriod.objects.filter(pk=period.pk).values_list("officer_id", flat=True)
    if period._state.adding or before.first() != period.officer_id:
        _officer_check(period)


def _officer_check(period: PostRehabPeriod) -> None:
    # Law 73/2021/QH14, art. 40 and Decree 116/2021/NĐ-CP, art. 3.9: the chair of the commune
    # People's Committee of the place of residence decides and organises post-rehab management,
    # so the officer in charge is a commune officer of the person's commune of residence.
    if not postrehab_officers(period.case).filter(pk=period.officer_id).exists():
        raise ValidationError(
            {
                "officer": _(
                    "The officer in charge must be a commune social officer of the commune "
                    "where the person lives."
                )
            }
        )


def checkins_sync(*, actor: access.AnyUser, period: PostRehabPeriod) -> None:
    """Plan the period's missing check-ins, cancel those it no longer needs, and record each."""
    wanted = set(checkin_dates(period)) if period.is_open else set()
    existing = list(FollowUp.objects.filter(period=period))
    for checkin in existing:
        if checkin.is_open and checkin.due_on not in wanted:
            checkin.cancelled_on = timezone.localdate()
            _checkin_save(actor, checkin, ServiceAction.CHECKIN_CANCELLED)
        elif checkin.is_open and checkin.responsible_id != period.officer_id:
            checkin.responsible_id = period.officer_id
            _checkin_save(actor, checkin, ServiceAction.RECORD_CHANGED)
    kept = {c.due_on for c in existing if c.cancelled_on is None}
    for due in sorted(wanted - kept):
        checkin = FollowUp(
            case_id=period.case_id,
            period=period,
            kind=FollowUpKind.POST_REHAB_CHECKIN,
            due_on=due,
            responsible_id=period.officer_id,
            recorded_by=account_of(actor),
        )
        _checkin_save(actor, checkin, ServiceAction.CHECKIN_PLANNED)


def _checkin_save(actor: access.AnyUser, checkin: FollowUp, action: str) -> None:
    save_edit(
        actor=actor,
        instance=checkin,
        action=action,
        if_version=OVERRIDE,
        detail={"kind": "followup", "period": str(checkin.period_id)},
    )


def postrehab_after(actor: access.AnyUser, period: PostRehabPeriod) -> None:
    """Keep the check-ins in step with a period just opened, changed or closed."""
    checkins_sync(actor=actor, period=period)


# --- returned victims ------------------------------------------------------------------------


def shelter_stay_check(stay: ShelterStay) -> None:
    """Refuse a stay that overlaps another stay of the same person, in any case."""
    others = ShelterStay.objects.filter(person_id=stay.case.person_id).exclude(pk=stay.pk)
    other = (
        overlapping(
            others, start="entered_on", end="left_on", since=stay.entered_on, until=stay.left_on
        )
        .order_by("entered_on")
        .first()
    )
    if other is not None:
        left = date_format(other.left_on, "SHORT_DATE_FORMAT") if other.left_on else "…"
        raise ValidationError(
            {
                "entered_on": _(
                    "This person has another shelter stay from %(entered)s to %(left)s; "
                    "two stays cannot overlap."
                )
                % {"entered": date_format(other.entered_on, "SHORT_DATE_FORMAT"), "left": left}
            }
        )


# --- the service catalogue -------------------------------------------------------------------


def service_type_save(*, actor: access.AnyUser, service_type: ServiceType) -> ServiceType:
    """Save a catalogue entry an administrator added or changed, with history and an event."""
    if not can(actor, CATALOGUE_MANAGE):
        raise PermissionDenied
    service_type.full_clean()
    service_type._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        service_type.save()
        audit.record(
            actor=actor,
            action=ServiceAction.SERVICE_TYPE_SAVED,
            obj=service_type,
            detail={"code": service_type.code, "active": service_type.is_active},
        )
    return service_type


def screening_record(*, actor: access.AnyUser, screening: Screening, result: Result) -> Screening:
    """Save a scored screening and its per-subject scores, and record it."""
    with transaction.atomic():
        record_add(actor=actor, record=screening)
        scores = [
            ScreeningScore(
                screening=screening, item=entry.subject, score=entry.score, level=entry.level
            )
            for entry in result.scores
        ]
        bulk_create_with_history(scores, ScreeningScore, default_user=actor)
    return screening


def stage_record(
    *, actor: access.AnyUser, stage: EpisodeStage, if_version: IfVersion
) -> EpisodeStage:
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
        actor=actor,
        instance=stage,
        action=ServiceAction.RECORD_ADDED if adding else ServiceAction.RECORD_CHANGED,
        if_version=OVERRIDE if adding else if_version,
        detail={"kind": "episodestage", "stage": stage.stage},
    )
    return stage
