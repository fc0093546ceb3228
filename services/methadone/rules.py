"""The clinical rules of methadone treatment, as pure functions over plain values (no database).

Source: the Ministry of Health's guideline on treating opioid dependence with methadone,
Decision 4066/QĐ-BYT (31/12/2024), which replaced Decision 3140/QĐ-BYT (30/08/2010) and
3509/QĐ-BYT (2015). Each function names the part of the guideline it follows; where the
figure could only be confirmed from the 2010 text or a secondary source, docs/methadone.md
says so. Figures left to the clinician are settings (``HOA_NHAP_METHADONE_*``) whose
default is the guideline's value; ``Limits.from_settings()`` reads them.

A broken rule is a ``Breach``: the prescription is saved only with a written override
reason, and its code is stored in ``Prescription.rule_flags``.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

INDUCTION = "induction"
STABILISATION = "stabilisation"
MAINTENANCE = "maintenance"
TAPER = "taper"
RESTART = "restart"
WEEK = 7


@dataclass(frozen=True)
class Limits:
    start_max_mg: int = 30
    first_week_max_mg: int = 40
    increase_min_days: int = 3
    increase_max_mg: int = 10
    week_increase_max_mg: int = 20
    missed_assess_days: int = 3
    missed_reduce_days: int = 4
    missed_restart_days: int = 5
    taper_min_days: int = 14
    taper_max_percent: int = 10
    taper_min_treatment_days: int = 365
    taper_low_dose_mg: int = 20
    taper_low_min_days: int = 28
    take_home_min_treatment_days: int = 365
    take_home_stable_days: int = 90
    take_home_max_missed_30: int = 0
    take_home_max_days: int = 7
    review_days: int = 30
    induction_review_days: int = 1
    adjust_review_days: int = 5
    taper_review_days: int = 14

    @classmethod
    def from_settings(cls) -> Limits:
        """Return the limits configured in settings (``HOA_NHAP_METHADONE_<NAME>``)."""
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            setting = f"HOA_NHAP_METHADONE_{name.upper()}"
            if hasattr(settings, setting):
                values[name] = int(getattr(settings, setting))
        return cls(**values)


@dataclass(frozen=True)
class Breach:
    code: str
    message: str | Promise
    params: dict[str, Any]

    def text(self) -> str:
        return str(self.message) % self.params


@dataclass(frozen=True)
class Order:
    """A prescription as the rules see it: from which day, how much, in which phase."""

    starts_on: datetime.date
    dose_mg: Decimal
    phase: str


# --- induction and dose adjustment -------------------------------------------------------


def start_dose_breach(*, dose_mg: Decimal, limits: Limits) -> Breach | None:
    """Refuse a first (or restarted) dose above the induction ceiling.

    4066/QĐ-BYT and 3140/QĐ-BYT (2010), induction phase (giai đoạn dò liều), starting
    dose: 15–30 mg by tolerance, caution from 25 mg.
    """
    if dose_mg <= limits.start_max_mg:
        return None
    return Breach(
        "start_dose",
        _("The starting dose is %(dose)s mg: the guideline's ceiling is %(max)s mg."),
        {"dose": _mg(dose_mg), "max": limits.start_max_mg},
    )


def first_week_breach(
    *, treatment_started_on: datetime.date, order: Order, limits: Limits
) -> Breach | None:
    """Refuse a dose above the first week's ceiling during the first seven days of treatment.

    4066/QĐ-BYT and 3140/QĐ-BYT (2010), induction phase (giai đoạn dò liều).
    """
    if (order.starts_on - treatment_started_on).days >= WEEK:
        return None
    if order.dose_mg <= limits.first_week_max_mg:
        return None
    return Breach(
        "first_week_dose",
        _("In the first week of treatment the dose may not exceed %(max)s mg (here %(dose)s mg)."),
        {"dose": _mg(order.dose_mg), "max": limits.first_week_max_mg},
    )


def increase_breaches(*, history: Sequence[Order], order: Order, limits: Limits) -> list[Breach]:
    """Refuse an increase too soon after the last change, too large, or beyond the week's cap.

    4066/QĐ-BYT and 3140/QĐ-BYT (2010), induction and dose-adjustment phases (dò liều,
    điều chỉnh liều): no increase in the first 3 days, then 5–10 mg every 3–5 days while
    withdrawal persists.
    ``history`` is the episode's earlier prescriptions, oldest first.
    """
    if not history or order.dose_mg <= history[-1].dose_mg:
        return []
    previous = history[-1]
    found: list[Breach] = []
    days = (order.starts_on - previous.starts_on).days
    if days < limits.increase_min_days:
        found.append(
            Breach(
                "increase_too_soon",
                _(
                    "The dose was last changed %(days)s day(s) ago: wait at least %(min)s days "
                    "between two increases."
                ),
                {"days": days, "min": limits.increase_min_days},
            )
        )
    step = order.dose_mg - previous.dose_mg
    if step > limits.increase_max_mg:
        found.append(
            Breach(
                "increase_too_large",
                _("An increase of %(step)s mg: at most %(max)s mg at a time."),
                {"step": _mg(step), "max": limits.increase_max_mg},
            )
        )
    week_total = week_increase(history=history, order=order)
    if week_total > limits.week_increase_max_mg:
        found.append(
            Breach(
                "week_increase_too_large",
                _("The dose would rise by %(total)s mg within seven days: at most %(max)s mg."),
                {"total": _mg(week_total), "max": limits.week_increase_max_mg},
            )
        )
    return found


def week_increase(*, history: Sequence[Order], order: Order) -> Decimal:
    """Return how much the dose rises over the seven days ending on the new order's day."""
    since = order.starts_on - datetime.timedelta(days=WEEK - 1)
    before = [o for o in history if o.starts_on < since]
    inside = [o for o in history if o.starts_on >= since]
    baseline = before[-1].dose_mg if before else (inside[0].dose_mg if inside else order.dose_mg)
    return max(order.dose_mg - baseline, Decimal(0))


# --- taper ---------------------------------------------------------------------------------


def taper_start_breach(
    *,
    history: Sequence[Order],
    order: Order,
    treatment_started_on: datetime.date,
    limits: Limits,
) -> Breach | None:
    """Refuse starting a taper before the patient has been a year in treatment.

    3140/QĐ-BYT (2010), dose reduction towards stopping (giảm liều tiến tới ngừng điều trị):
    for a patient in treatment at least a year, or earlier when the patient asks for it (the
    request is written as the override reason). Only the first order of a taper is checked;
    its later steps are the step rules' (``taper_breaches``).
    """
    if order.phase != TAPER or (history and history[-1].phase == TAPER):
        return None
    days = (order.starts_on - treatment_started_on).days
    if days >= limits.taper_min_treatment_days:
        return None
    return Breach(
        "taper_too_early",
        _(
            "In treatment for %(days)s days: a dose reduction towards stopping starts after "
            "%(min)s days, unless the patient asks for it (write the request as the reason)."
        ),
        {"days": days, "min": limits.taper_min_treatment_days},
    )


def taper_breaches(*, history: Sequence[Order], order: Order, limits: Limits) -> list[Breach]:
    """Refuse a taper step taken too soon after the last reduction, or larger than allowed.

    4066/QĐ-BYT and 3140/QĐ-BYT (2010), dose-reduction phase (giảm liều tiến tới ngừng
    điều trị): at least two weeks between reductions, at most 10% of the current dose each time,
    and slower below 20 mg (here: a longer wait, ``taper_low_min_days``, before a step to a dose
    under ``taper_low_dose_mg``).
    """
    if order.phase != TAPER or not history or order.dose_mg >= history[-1].dose_mg:
        return []
    current = history[-1].dose_mg
    found: list[Breach] = []
    last_cut = last_reduction_on(history)
    low = order.dose_mg < limits.taper_low_dose_mg
    wait = limits.taper_low_min_days if low else limits.taper_min_days
    if last_cut is not None:
        days = (order.starts_on - last_cut).days
        if days < wait:
            found.append(
                Breach(
                    "taper_too_soon",
                    _(
                        "The dose was last reduced %(days)s day(s) ago: wait at least %(min)s days "
                        "between two reductions."
                    ),
                    {"days": days, "min": wait},
                )
            )
    cut = current - order.dose_mg
    if cut * 100 > current * limits.taper_max_percent:
        found.append(
            Breach(
                "taper_too_large",
                _(
                    "A reduction of %(cut)s mg from %(current)s mg: at most %(percent)s%% of the "
                    "current dose at a time (%(max)s mg)."
                ),
                {
                    "cut": _mg(cut),
                    "current": _mg(current),
                    "percent": limits.taper_max_percent,
                    "max": _mg(current * limits.taper_max_percent / 100),
                },
            )
        )
    return found


def last_reduction_on(history: Sequence[Order]) -> datetime.date | None:
    """Return the day of the latest order that lowered the dose, or None."""
    for earlier, later in zip(reversed(history[:-1]), reversed(history[1:]), strict=True):
        if later.dose_mg < earlier.dose_mg:
            return later.starts_on
    return None


# --- take-home doses -----------------------------------------------------------------------


@dataclass(frozen=True)
class Adherence:
    """What the take-home conditions read of the dose history, as of the order's day."""

    days_in_treatment: int
    days_at_current_dose: int
    missed_last_30: int


def take_home_breaches(
    *, take_home_days: int, phase: str, adherence: Adherence, limits: Limits
) -> list[Breach]:
    """Refuse take-home doses for a patient who does not meet the conditions.

    4066/QĐ-BYT, take-home (multi-day) dispensing; the conditions follow the Ministry's
    multi-day dispensing pilot guidance (2021): maintenance phase, long enough in treatment,
    a stable dose, no missed doses lately, a limited number of days at once.
    """
    if take_home_days <= 0:
        return []
    found: list[Breach] = []
    if take_home_days > limits.take_home_max_days:
        found.append(
            Breach(
                "take_home_too_many",
                _("%(days)s take-home days: at most %(max)s at a time."),
                {"days": take_home_days, "max": limits.take_home_max_days},
            )
        )
    if phase != MAINTENANCE:
        found.append(
            Breach(
                "take_home_not_maintenance",
                _("Take-home doses are only for patients in the maintenance phase."),
                {},
            )
        )
    if adherence.days_in_treatment < limits.take_home_min_treatment_days:
        found.append(
            Breach(
                "take_home_too_early",
                _("In treatment for %(days)s days: take-home doses need at least %(min)s."),
                {"days": adherence.days_in_treatment, "min": limits.take_home_min_treatment_days},
            )
        )
    if adherence.days_at_current_dose < limits.take_home_stable_days:
        found.append(
            Breach(
                "take_home_unstable",
                _(
                    "At this dose for %(days)s days: take-home doses need a stable dose for at "
                    "least %(min)s days."
                ),
                {"days": adherence.days_at_current_dose, "min": limits.take_home_stable_days},
            )
        )
    if adherence.missed_last_30 > limits.take_home_max_missed_30:
        found.append(Breach(
            "take_home_missed",
            _("%(missed)s day(s) missed in the last 30: take-home doses allow at most %(max)s."),
            {"missed": adherence.missed_last_30, "max": limits.take_home_max_missed_30},
        ))  # fmt: skip
    return found


# --- missed doses --------------------------------------------------------------------------


class Missed(enum.IntEnum):
    """What a run of missed days calls for, from mildest to gravest."""

    CONTINUE = 0
    ASSESS = 1
    REDUCE = 2
    RESTART = 3


MISSED_LABELS: dict[Missed, str | Promise] = {
    Missed.CONTINUE: "",
    Missed.ASSESS: _("Missed %(days)s days: assess before dosing"),
    Missed.REDUCE: _("Missed %(days)s days: reduce the dose"),
    Missed.RESTART: _("Missed %(days)s days: restart induction"),
}


def missed_run(
    *, last_taken_on: datetime.date | None, started_on: datetime.date, until: datetime.date
) -> int:
    """Return the days without a dose after the last dose taken, up to ``until`` inclusive.

    A patient who never took a dose has missed every day since the episode started.
    """
    if last_taken_on is None:
        return max((until - started_on).days + 1, 0)
    return max((until - last_taken_on).days, 0)


def missed_action(*, run: int, limits: Limits) -> Missed:
    """Return what a run of consecutive missed days calls for.

    4066/QĐ-BYT and 3140/QĐ-BYT (2010), missed doses (xử trí bỏ liều): 1–2 days, continue
    the dose; 3 days, assess (intoxication, withdrawal) before dosing; 4 days, reduce the
    dose (by half); 5 days or more, restart from induction.
    """
    if run >= limits.missed_restart_days:
        return Missed.RESTART
    if run >= limits.missed_reduce_days:
        return Missed.REDUCE
    if run >= limits.missed_assess_days:
        return Missed.ASSESS
    return Missed.CONTINUE


def missed_label(*, run: int, limits: Limits) -> str:
    """Return the flag a run of missed days raises ("" below the first threshold)."""
    action = missed_action(run=run, limits=limits)
    if action is Missed.CONTINUE:
        return ""
    return str(MISSED_LABELS[action]) % {"days": run}


def missed_level_reached_on(
    *,
    last_taken_on: datetime.date | None,
    started_on: datetime.date,
    action: Missed,
    limits: Limits,
) -> datetime.date:
    """Return the day a run of missed days first called for ``action`` (its last missed day).

    A prescriber who wrote an order on or after that day has seen the run and acted on it.
    """
    first_missed = started_on if last_taken_on is None else last_taken_on + datetime.timedelta(1)
    threshold = {
        Missed.ASSESS: limits.missed_assess_days,
        Missed.REDUCE: limits.missed_reduce_days,
        Missed.RESTART: limits.missed_restart_days,
    }.get(action, 1)
    return first_missed + datetime.timedelta(days=threshold - 1)


# --- at the counter: the dose given ----------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    """What the dosing check reads for one patient and day (plain values, no database).

    ``override_mg`` is a prescriber's recorded one-day dose for that day, if any;
    ``prescriber_acted`` says whether a prescriber wrote an order (or that one-day dose) after
    the run of missed days called for ``missed``.
    """

    prescribed_mg: Decimal
    split_parts: int
    override_mg: Decimal | None
    missed: Missed
    missed_days: int
    prescriber_acted: bool
    prescriber: str


def allowed_amounts(
    *, prescribed_mg: Decimal, split_parts: int, override_mg: Decimal | None
) -> list[Decimal]:
    """Return the amounts the counter may give on a day, smallest first.

    The prescription's daily dose, or — when the prescription documents a split into equal
    parts — one or more of its parts; a prescriber's one-day dose replaces them all.
    """
    if override_mg is not None:
        return [Decimal(override_mg)]
    parts = max(int(split_parts), 1)
    whole = Decimal(prescribed_mg)
    return [(whole * k / parts).quantize(Decimal("0.1")) for k in range(1, parts + 1)]


def dose_refusal(*, amount: Decimal, counter: Counter, acknowledged: bool) -> Breach | None:
    """Return why the counter must not give ``amount`` today, or None.

    Safety before convenience (issue 23): a dose is the prescriber's decision, never the
    counter's. 4066/QĐ-BYT and 3140/QĐ-BYT (2010), missed doses (xử trí bỏ liều): after a run
    that calls for reducing the dose or restarting induction, nothing is given until a
    prescriber has acted (a new order, or a recorded one-day dose); after a run that calls for
    an assessment, the one who doses confirms the patient was assessed. Any amount other than
    the prescribed one (or a documented part of it) is refused and needs the prescriber.
    """
    if not counter.prescriber_acted:
        if counter.missed is Missed.RESTART:
            return Breach(
                "dose_blocked_restart",
                _(
                    "Missed %(days)s days: induction must restart. No dose until the prescriber "
                    "(%(prescriber)s) writes a new prescription or a one-day dose."
                ),
                {"days": counter.missed_days, "prescriber": counter.prescriber},
            )
        if counter.missed is Missed.REDUCE:
            return Breach(
                "dose_blocked_reduce",
                _(
                    "Missed %(days)s days: the dose must be reduced. No dose until the "
                    "prescriber (%(prescriber)s) writes a new prescription or a one-day dose."
                ),
                {"days": counter.missed_days, "prescriber": counter.prescriber},
            )
        if counter.missed is Missed.ASSESS and not acknowledged:
            return Breach(
                "dose_assess_unconfirmed",
                _(
                    "Missed %(days)s days: assess the patient (intoxication, withdrawal) and "
                    "confirm it before dosing, or ask the prescriber (%(prescriber)s)."
                ),
                {"days": counter.missed_days, "prescriber": counter.prescriber},
            )
    allowed = allowed_amounts(
        prescribed_mg=counter.prescribed_mg,
        split_parts=counter.split_parts,
        override_mg=counter.override_mg,
    )
    if Decimal(amount) in allowed:
        return None
    return Breach(
        "dose_not_prescribed",
        _(
            "%(amount)s mg is not the prescribed dose (%(allowed)s mg). A different dose needs "
            "the prescriber (%(prescriber)s): a new prescription or a one-day dose."
        ),
        {
            "amount": _mg(Decimal(amount)),
            "allowed": " / ".join(_mg(a) for a in allowed),
            "prescriber": counter.prescriber,
        },
    )


# --- reviews -------------------------------------------------------------------------------


def review_due_on(*, order: Order, limits: Limits) -> datetime.date:
    """Return the day a prescription falls due for review by the prescriber.

    Induction (and a restart, which is an induction again) is prescribed day by day, dose
    adjustment is reassessed every few days (4066/QĐ-BYT, dose adjustment: every 3–5 days), a
    taper step every two weeks, maintenance at least monthly (the Ministry's prescribing rules,
    draft circular of 2023: induction prescribed daily, a maintenance order for at most 30 days).
    """
    if order.phase in (INDUCTION, RESTART):
        days = limits.induction_review_days
    elif order.phase == STABILISATION:
        days = limits.adjust_review_days
    elif order.phase == TAPER:
        days = limits.taper_review_days
    else:
        days = limits.review_days
    return order.starts_on + datetime.timedelta(days=days)


# --- all the checks of one new prescription ------------------------------------------------


def prescription_breaches(
    *,
    history: Sequence[Order],
    order: Order,
    take_home_days: int,
    treatment_started_on: datetime.date,
    adherence: Adherence,
    limits: Limits,
) -> list[Breach]:
    """Return every rule a new prescription breaks, given the episode's earlier ones."""
    found: list[Breach] = []
    starting = not history or order.phase == RESTART
    breach = start_dose_breach(dose_mg=order.dose_mg, limits=limits) if starting else None
    if breach is not None:
        found.append(breach)
    breach = first_week_breach(
        treatment_started_on=treatment_started_on, order=order, limits=limits
    )
    if breach is not None:
        found.append(breach)
    if order.phase != RESTART:
        found += increase_breaches(history=history, order=order, limits=limits)
    breach = taper_start_breach(
        history=history, order=order, treatment_started_on=treatment_started_on, limits=limits
    )
    if breach is not None:
        found.append(breach)
    found += taper_breaches(history=history, order=order, limits=limits)
    found += take_home_breaches(
        take_home_days=take_home_days, phase=order.phase, adherence=adherence, limits=limits
    )
    return found


def _mg(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')).normalize():f}"
