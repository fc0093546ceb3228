"""Write methadone records: prescriptions, a day's dose, a correction, a day's doses at once.

Every write fetches its episode (or dose) through ``cases.access`` with change scope,
narrowed to the actor's own clinic (``selectors.clinic_episodes``): another clinic's patient
is unknown (404) and the attempt is recorded as a denial. Each action writes its audit
event in the same transaction as the row.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import can
from accounts.models import account_of
from audit import actions as audit
from audit.editing import save_edit
from cases import access, dues
from cases.models import Organisation
from core.editing import OVERRIDE
from services.models import TreatmentEpisode

from . import rules, selectors
from .capabilities import DOSE_CORRECT, DOSE_RECORD, PRESCRIPTION_RECORD
from .events import MethadoneAction
from .models import Dose, DoseCorrection, DoseKind, DoseOverride, Prescription

TAKEN = (DoseKind.OBSERVED, DoseKind.TAKE_HOME)


class RuleBreach(ValidationError):
    """A prescription breaks guideline rules and no override reason was given."""

    def __init__(self, breaches: list[rules.Breach]) -> None:
        super().__init__([b.text() for b in breaches], code="rule_breach")
        self.breaches = breaches


def _episode(actor: access.AnyUser, episode_id: Any, capability: str) -> TreatmentEpisode:
    """Return the open methadone episode of the actor's clinic, or record a denial and 404."""
    rows = selectors.clinic_episodes(actor, capability=capability).select_related("case")
    return access.get_for_user(
        actor, TreatmentEpisode, episode_id, "change", record_read=False, queryset=rows
    )


def _prescribing_episode(actor: access.AnyUser, episode_id: Any) -> TreatmentEpisode:
    """Return the episode to prescribe for; refuse a clinic's staff member who doses but is
    not a prescriber (``StaffProfile.may_prescribe``) with PermissionDenied and a denial
    event. Anyone else outside the clinic's scope gets the 404 and denial of ``_episode``."""
    if can(actor, DOSE_RECORD) and not can(actor, PRESCRIPTION_RECORD):
        access.deny(
            actor, PRESCRIPTION_RECORD, object_type="treatmentepisode", object_id=str(episode_id)
        )
        raise PermissionDenied
    return _episode(actor, episode_id, PRESCRIPTION_RECORD)


# --- prescriptions ------------------------------------------------------------------------


def prescription_record(
    *,
    actor: access.AnyUser,
    episode_id: UUID,
    prescription: Prescription,
    override_reason: str = "",
) -> Prescription:
    """Save a new prescription of an episode at the actor's clinic, checked against the
    guideline; a breach needs a written override reason and is flagged. Only a prescriber
    (``_prescribing_episode``)."""
    episode = _prescribing_episode(actor, episode_id)
    # The order of a day already prescribed is changed, not doubled (its history keeps the
    # values it replaces).
    prescription = _same_day(episode, prescription)
    replaced = not prescription._state.adding
    prescription_prepare(
        actor=actor, episode=episode, prescription=prescription, override_reason=override_reason
    )
    with transaction.atomic():
        save_edit(
            actor=actor,
            instance=prescription,
            action=MethadoneAction.PRESCRIPTION_RECORDED,
            if_version=OVERRIDE,
            detail={
                "episode": str(episode.pk),
                "flags": prescription.rule_flags,
                "replaced": replaced,
            },
        )
        # An older order needs no review of its own once a newer one replaces it.
        Prescription.objects.filter(
            episode=episode, starts_on__lt=prescription.starts_on, review_due_on__isnull=False
        ).update(review_due_on=None, review_reason="")
        dues.case_refresh(case_id=episode.case_id)
    return prescription


def prescription_prepare(
    *,
    actor: access.AnyUser,
    episode: TreatmentEpisode,
    prescription: Prescription,
    override_reason: str = "",
    first_order: bool = False,
) -> None:
    """Check a prescription of an episode fetched in the actor's prescribing scope and fill
    what ``prescription_record`` stores with it (flags, review), without saving it.

    Raises as ``prescription_record`` refuses (a prescriber outside the clinic, a date a year
    ahead, a guideline breach without an override reason). Also for writers of many
    prescriptions at once (the register import, which checks the scope once per batch);
    ``first_order``: the caller checked that the episode has no prescription and no dose
    yet, so the rules read an empty history without asking the database.
    """
    prescription.episode = episode
    prescription.case = episode.case
    prescription.recorded_by = account_of(actor)
    if prescription.prescriber_id is None:
        prescription.prescriber = actor
    _prescriber_check(prescription, episode)
    if prescription.starts_on > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"starts_on": _("A prescription cannot start a year ahead.")})
    breaches = _breaches(episode, prescription, first_order=first_order)
    if breaches and not override_reason.strip():
        raise RuleBreach(breaches)
    prescription.rule_flags = [breach.code for breach in breaches]
    prescription.override_reason = override_reason.strip() if breaches else ""
    limits = rules.Limits.from_settings()
    prescription.review_due_on = rules.review_due_on(order=_order(prescription), limits=limits)
    prescription.review_reason = "scheduled"


def _same_day(episode: TreatmentEpisode, prescription: Prescription) -> Prescription:
    """Return the episode's prescription of that day with the new values, or the new one."""
    existing = Prescription.objects.filter(
        episode=episode, starts_on=prescription.starts_on
    ).first()
    if existing is None:
        return prescription
    for name in ("dose_mg", "phase", "take_home_days", "split_parts", "prescriber_id", "reason"):
        setattr(existing, name, getattr(prescription, name))
    return existing


def _prescriber_check(prescription: Prescription, episode: TreatmentEpisode) -> None:
    prescriber = prescription.prescriber
    profile = access.profile_of(prescriber)
    at_clinic = profile is not None and profile.organisation_id == episode.provider_id
    if not at_clinic or not can(prescriber, PRESCRIPTION_RECORD):
        raise ValidationError(
            {"prescriber": _("The prescriber must be a staff member of the clinic.")}
        )


def _order(prescription: Prescription) -> rules.Order:
    return rules.Order(prescription.starts_on, Decimal(prescription.dose_mg), prescription.phase)


def _breaches(
    episode: TreatmentEpisode, prescription: Prescription, *, first_order: bool = False
) -> list[rules.Breach]:
    history = (
        []
        if first_order
        else [
            rules.Order(row.starts_on, row.dose_mg, row.phase)
            for row in Prescription.objects.filter(
                episode=episode, starts_on__lt=prescription.starts_on
            ).order_by("starts_on")
        ]
    )
    return rules.prescription_breaches(
        history=history,
        order=_order(prescription),
        take_home_days=prescription.take_home_days,
        treatment_started_on=episode.started_on,
        adherence=selectors.adherence(
            episode=episode,
            on=prescription.starts_on,
            history=history,
            dose_mg=Decimal(prescription.dose_mg),
            taken=0 if first_order else None,
        ),
        limits=rules.Limits.from_settings(),
    )


# --- one dose ------------------------------------------------------------------------------


class DoseRefused(ValidationError):
    """The counter may not give this dose: the prescriber must act (rules.dose_refusal)."""

    def __init__(self, breaches: list[rules.Breach]) -> None:
        super().__init__([b.text() for b in breaches], code="dose_refused")
        self.breaches = breaches


def dose_record(
    *,
    actor: access.AnyUser,
    episode_id: UUID,
    day: datetime.date,
    kind: int,
    dose_mg: Decimal | None = None,
    acknowledged: bool = False,
) -> Dose:
    """Record the day's dose (observed, take-home) or a no-show for a patient of the clinic.

    The dose given is the prescription's (or a documented part of it, or the prescriber's
    one-day dose); any other amount, and any dose while a run of missed days waits for the
    prescriber, is refused with the prescriber's name and recorded as refused
    (``rules.dose_refusal``). ``acknowledged``: the one who doses confirms the assessment a
    shorter run of missed days calls for. A second row for the same day is refused (by the
    database as well): correct it instead.
    """
    episode = _episode(actor, episode_id, DOSE_RECORD)
    dose = Dose(episode=episode, given_on=day, kind=kind, recorded_by=account_of(actor))
    detail: dict[str, Any] = {"episode": str(episode.pk), "day": day.isoformat(), "kind": int(kind)}
    if kind == DoseKind.MISSED:
        dose.dose_mg = dose_checked(
            actor=actor, episode=episode, day=day, kind=kind, dose_mg=None, facts=None
        )
    else:
        facts = selectors.dose_facts(
            episodes=TreatmentEpisode.objects.filter(pk=episode.pk), day=day
        )[episode.pk]
        dose.dose_mg = dose_checked(
            actor=actor,
            episode=episode,
            day=day,
            kind=kind,
            dose_mg=dose_mg,
            facts=facts,
            acknowledged=acknowledged,
        )
        if facts.needs_assessment:
            detail["assessed"] = True
        if facts.override_mg is not None:
            detail["one_day_dose"] = True
    dose.full_clean()
    try:
        with transaction.atomic():
            dose.save()
            audit.record(
                actor=actor,
                action=MethadoneAction.DOSE_RECORDED,
                obj=dose,
                person_id=episode.person_id,
                detail=detail,
            )
            if kind == DoseKind.MISSED:
                _flag_missed_run(episode, day)
    except IntegrityError:
        # Another nurse recorded the same patient's day a moment earlier.
        raise ValidationError(_repeated_message(), code="dose_repeated") from None
    return dose


def dose_checked(
    *,
    actor: access.AnyUser,
    episode: TreatmentEpisode,
    day: datetime.date,
    kind: int,
    dose_mg: Decimal | None,
    facts: selectors.TodayRow | None,
    acknowledged: bool = False,
) -> Decimal | None:
    """Return the amount a dose stores, or raise as ``dose_record`` refuses it.

    The checks of one dose at the counter: the day, the kind, the prescription in force
    (``facts``: ``selectors.dose_facts`` of that day; None for a no-show) and the counter's
    refusal (``rules.dose_refusal``), a refused dose recorded as refused. For writers of many
    doses at once (the register import's dosing sheet) as well as ``dose_record``.
    """
    if kind == DoseKind.MISSED:
        return _dose_amount(episode, day, kind, None, None)
    amount = _dose_amount(episode, day, kind, dose_mg, facts)
    assert facts is not None  # noqa: S101 (_dose_amount refuses a day without a prescription)
    _refuse_unless_allowed(actor, episode, day, kind, amount, facts, acknowledged)
    return amount


def missed_run_flag(*, episode: TreatmentEpisode, day: datetime.date) -> None:
    """After a no-show recorded in bulk: what ``dose_record`` does after one (the review of
    the prescription in force when the run of missed days is long)."""
    _flag_missed_run(episode, day)


def _repeated_message() -> str:
    return _("A dose is already recorded for this patient on this day: correct it instead.")


def _dose_amount(
    episode: TreatmentEpisode,
    day: datetime.date,
    kind: int,
    dose_mg: Decimal | None,
    facts: selectors.TodayRow | None,
) -> Decimal | None:
    """Return the amount to store, refusing a day or kind the prescription does not allow.

    No amount given: the day's one-day dose if a prescriber recorded one, else the prescribed
    dose (one tap).
    """
    if kind not in DoseKind.values:
        raise ValidationError(_("Choose observed, take-home or did not come."))
    today = timezone.localdate()
    if day < episode.started_on:
        raise ValidationError(_("This day is before the start of the treatment."))
    if kind == DoseKind.MISSED:
        if day > today:
            raise ValidationError(_("A day that has not come yet cannot be recorded as missed."))
        return None
    if facts is None or facts.prescribed_mg is None:
        raise ValidationError(_("No prescription is in force on this day: prescribe first."))
    if kind == DoseKind.OBSERVED and day > today:
        raise ValidationError(_("An observed dose cannot be recorded for a later day."))
    if kind == DoseKind.TAKE_HOME:
        _take_home_check(facts.take_home_days, day, today)
    amount = facts.default_mg if dose_mg is None else dose_mg
    if amount is None or amount <= 0 or amount >= 1000:
        raise ValidationError(_("Enter a dose between 0.1 and 999.9 mg."))
    return amount


def _take_home_check(allowed_days: int, day: datetime.date, today: datetime.date) -> None:
    if allowed_days <= 0:
        raise ValidationError(
            _("The prescription allows no take-home doses: the dose is taken at the clinic.")
        )
    if (day - today).days > allowed_days:
        raise ValidationError(
            _("The prescription allows take-home doses for at most %(days)s days ahead.")
            % {"days": allowed_days}
        )


def _refusal(
    amount: Decimal | None, facts: selectors.TodayRow, acknowledged: bool
) -> rules.Breach | None:
    breach = rules.dose_refusal(
        amount=Decimal(amount or 0), counter=facts.counter, acknowledged=acknowledged
    )
    if breach is None or facts.prescriber or facts.prescriber_id is None:
        return breach
    # The refusal names the prescriber: read the name only now, off the hot path of a dose
    # that passes.
    name = selectors.prescriber_names(ids=[facts.prescriber_id]).get(facts.prescriber_id, "")
    named = dataclasses.replace(facts, prescriber=name)
    return rules.dose_refusal(
        amount=Decimal(amount or 0), counter=named.counter, acknowledged=acknowledged
    )


def _record_refusal(
    actor: access.AnyUser,
    episode_id: Any,
    person_id: Any,
    day: datetime.date,
    kind: int,
    amount: Decimal | None,
    breach: rules.Breach,
) -> None:
    """Record a dose the counter refused (outside any transaction the refusal rolls back)."""
    audit.record(
        actor=actor,
        action=MethadoneAction.DOSE_REFUSED,
        object_type="treatmentepisode",
        object_id=episode_id,
        person_id=person_id,
        detail={
            "code": breach.code,
            "day": day.isoformat(),
            "kind": int(kind),
            "amount": str(amount) if amount is not None else "",
        },
    )


def _refuse_unless_allowed(
    actor: access.AnyUser,
    episode: TreatmentEpisode,
    day: datetime.date,
    kind: int,
    amount: Decimal | None,
    facts: selectors.TodayRow,
    acknowledged: bool,
) -> None:
    breach = _refusal(amount, facts, acknowledged)
    if breach is None:
        return
    _record_refusal(actor, episode.pk, episode.person_id, day, kind, amount, breach)
    raise DoseRefused([breach])


def _flag_missed_run(episode: TreatmentEpisode, day: datetime.date) -> None:
    """Make the prescription in force due for review when the run of missed days is long."""
    limits = rules.Limits.from_settings()
    last = selectors.last_taken_on(episode_id=episode.pk, until=day)
    run = rules.missed_run(last_taken_on=last, started_on=episode.started_on, until=day)
    action = rules.missed_action(run=run, limits=limits)
    if action is rules.Missed.CONTINUE:
        return
    current = selectors.prescription_on(episode=episode, day=day)
    if current is None:
        return
    due = min(current.review_due_on or day, day)
    # A plain update: the review flag is bookkeeping, not a change of the order (no history).
    Prescription.objects.filter(pk=current.pk).update(
        review_due_on=due, review_reason=f"missed_{action.name.lower()}"
    )
    dues.case_refresh(case_id=episode.case_id)


# --- a prescriber's one-day dose ----------------------------------------------------------------

OVERRIDE_AHEAD = datetime.timedelta(days=7)


def dose_override_record(
    *, actor: access.AnyUser, episode_id: UUID, day: datetime.date, dose_mg: Decimal, reason: str
) -> DoseOverride:
    """Record a prescriber's dose for one patient and one day, with the reason (encrypted).

    Only a prescriber of the patient's clinic (``prescription.record``, which needs the
    ``may_prescribe`` qualification): the clinic's nurse gets PermissionDenied, anyone else
    404, each with a denial event. The counter then gives that dose on that day, also after a run of
    missed days that blocked dosing. A second one for the same day changes it (its history
    keeps the value replaced).
    """
    episode = _prescribing_episode(actor, episode_id)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this patient gets another dose that day.")})
    if day < episode.started_on:
        raise ValidationError({"day": _("This day is before the start of the treatment.")})
    if day > timezone.localdate() + OVERRIDE_AHEAD:
        raise ValidationError(
            {
                "day": _("A one-day dose can be written at most %(days)s days ahead.")
                % {"days": OVERRIDE_AHEAD.days}
            }
        )
    if selectors.prescription_on(episode=episode, day=day) is None:
        raise ValidationError(_("No prescription is in force on this day: prescribe first."))
    row = DoseOverride.objects.filter(episode=episode, given_on=day).first()
    replaced = row is not None
    if row is None:
        row = DoseOverride(episode=episode, case=episode.case, given_on=day)
    # The prescriber who decided it last (the history keeps who decided it before).
    row.dose_mg, row.reason, row.recorded_by = dose_mg, reason.strip(), account_of(actor)
    with transaction.atomic():
        save_edit(
            actor=actor,
            instance=row,
            action=MethadoneAction.DOSE_OVERRIDE_RECORDED,
            if_version=OVERRIDE,
            detail={"episode": str(episode.pk), "day": day.isoformat(), "replaced": replaced},
        )
    return row


# --- a correction ----------------------------------------------------------------------------


def dose_correct(
    *, actor: access.AnyUser, dose_id: int, kind: int, dose_mg: Decimal | None, reason: str
) -> Dose:
    """Change a recorded dose, keeping what it was and why it changed (never a delete)."""
    episodes = selectors.clinic_episodes(actor, capability=DOSE_CORRECT, open_only=False)
    rows = Dose.objects.filter(episode__in=episodes).select_related("episode")
    dose = access.get_for_user(actor, Dose, dose_id, "change", record_read=False, queryset=rows)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the dose is corrected.")})
    amount = None if kind == DoseKind.MISSED else dose_mg
    if kind != DoseKind.MISSED and amount is None:
        raise ValidationError({"dose_mg": _("Enter the dose given.")})
    with transaction.atomic():
        locked = Dose.objects.select_for_update().get(pk=dose.pk)
        if locked.kind == kind and locked.dose_mg == amount:
            raise ValidationError(_("This is what is recorded already: nothing to correct."))
        correction = DoseCorrection(
            dose=locked,
            old_kind=locked.kind,
            old_dose_mg=locked.dose_mg,
            new_kind=kind,
            new_dose_mg=amount,
            reason=reason.strip(),
            corrected_by=account_of(actor),
        )
        locked.kind, locked.dose_mg = kind, amount
        locked.full_clean(validate_unique=False, validate_constraints=True)
        correction.full_clean()
        locked.save(update_fields=["kind", "dose_mg"])
        correction.save()
        audit.record(
            actor=actor,
            action=MethadoneAction.DOSE_CORRECTED,
            obj=locked,
            person_id=dose.episode.person_id,
            detail={
                "correction": str(correction.pk),
                "old_kind": correction.old_kind,
                "new_kind": int(kind),
                "day": locked.given_on.isoformat(),
            },
        )
    return locked


# --- a day's doses at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class DoseRow:
    episode_id: UUID
    kind: int
    dose_mg: Decimal | None = None  # None: the prescribed dose (or the day's one-day dose)
    acknowledged: bool = False


def _bulk_check(
    row: DoseRow, facts: selectors.TodayRow
) -> tuple[Decimal | None, rules.Breach | None]:
    """Return a row's amount and why the counter refuses it (None if it does not): the same
    checks as one dose (``dose_record``)."""
    if row.kind == DoseKind.MISSED:
        return None, None
    amount = facts.default_mg if row.dose_mg is None else row.dose_mg
    if row.kind not in TAKEN:
        text = _("Choose observed, take-home or did not come.")
        return amount, rules.Breach("dose_kind", text, {})
    if facts.prescribed_mg is None:
        text = _("No prescription is in force on this day: prescribe first.")
        return amount, rules.Breach("dose_no_prescription", text, {})
    if row.kind == DoseKind.TAKE_HOME and facts.take_home_days <= 0:
        text = _("The prescription allows no take-home doses: the dose is taken at the clinic.")
        return amount, rules.Breach("take_home_not_allowed", text, {})
    return amount, _refusal(amount, facts, row.acknowledged)


def doses_record_bulk(
    *, actor: access.AnyUser, clinic: Organisation, day: datetime.date, rows: Iterable[DoseRow]
) -> int:
    """Record a day's doses of the actor's clinic in one statement and one event."""
    wanted = list(rows)
    if selectors.clinic_of(actor) != clinic or not can(actor, DOSE_RECORD):
        raise PermissionDenied
    ids = {row.episode_id for row in wanted}
    allowed = selectors.clinic_episodes(actor, capability=DOSE_RECORD).filter(pk__in=ids)
    facts = selectors.dose_facts(episodes=allowed, day=day)
    found = {pk: row.person_id for pk, row in facts.items()}
    if len(ids) != len(wanted) or set(found) != ids:
        outside = sorted(str(i) for i in ids - set(found))
        access.deny(actor, "change", object_type="treatmentepisode", episodes=outside)
        raise PermissionDenied
    checked = [(row, *_bulk_check(row, facts[row.episode_id])) for row in wanted]
    refused = [(row, amount, breach) for row, amount, breach in checked if breach is not None]
    for row, amount, breach in refused:
        fact = facts[row.episode_id]
        _record_refusal(actor, row.episode_id, fact.person_id, day, row.kind, amount, breach)
    if refused:
        # Nothing of the batch is saved; each refused row is named by its record code.
        raise DoseRefused(
            [
                rules.Breach(
                    b.code,
                    "%(code)s: %(text)s",
                    {"code": facts[r.episode_id].code, "text": b.text()},
                )
                for r, _amount, b in refused
            ]
        )
    doses = [
        Dose(
            episode_id=row.episode_id,
            given_on=day,
            kind=row.kind,
            recorded_by=account_of(actor),
            dose_mg=amount,
        )
        for row, amount, _breach in checked
    ]
    try:
        with transaction.atomic():
            Dose.objects.bulk_create(doses)
            audit.record(
                actor=actor,
                action=MethadoneAction.DOSES_RECORDED,
                object_type="organisation",
                object_id=clinic.pk,
                detail={
                    "day": day.isoformat(),
                    "count": len(doses),
                    "people": sorted(str(p) for p in found.values()),
                },
            )
    except IntegrityError:
        raise ValidationError(
            _(
                "Some of these patients already have a dose recorded on this day, or a dose is "
                "missing its amount: nothing was saved."
            ),
            code="dose_repeated",
        ) from None
    return len(doses)
