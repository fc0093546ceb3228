"""The guideline's rules, each at its boundary: just inside passes, just outside is a breach.

Source for every rule: Decision 4066/QĐ-BYT (31/12/2024) of the Ministry of Health, which
replaced 3140/QĐ-BYT (2010); the article each test names is in its docstring, and
docs/methadone.md says which figures were confirmed from which text.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from services.methadone import rules

L = rules.Limits()
D0 = datetime.date(2026, 1, 1)


def day(n: int) -> datetime.date:
    return D0 + datetime.timedelta(days=n)


def order(n: int, mg: int | str, phase: str = rules.STABILISATION) -> rules.Order:
    return rules.Order(day(n), Decimal(mg), phase)


def codes(found: list[rules.Breach]) -> list[str]:
    return [b.code for b in found]


def test_start_dose_at_the_ceiling_passes_and_above_it_is_a_breach() -> None:
    """4066/QĐ-BYT induction (and 3140/QĐ-BYT): starting dose 15–30 mg."""
    assert rules.start_dose_breach(dose_mg=Decimal(30), limits=L) is None
    breach = rules.start_dose_breach(dose_mg=Decimal("30.5"), limits=L)
    assert breach is not None and breach.code == "start_dose"
    assert "30.5" in breach.text()


def test_first_week_ceiling_applies_on_day_6_and_not_on_day_7() -> None:
    """4066/QĐ-BYT induction (and 3140/QĐ-BYT): at most 40 mg in the first week."""
    assert rules.first_week_breach(treatment_started_on=D0, order=order(6, 40), limits=L) is None
    found = rules.first_week_breach(treatment_started_on=D0, order=order(6, 41), limits=L)
    assert found is not None and found.code == "first_week_dose"
    assert rules.first_week_breach(treatment_started_on=D0, order=order(7, 60), limits=L) is None


def test_increase_after_three_days_passes_after_two_is_too_soon() -> None:
    """4066/QĐ-BYT dose adjustment (and 3140/QĐ-BYT): 3–5 days between increases."""
    history = [order(0, 20, rules.INDUCTION)]
    assert rules.increase_breaches(history=history, order=order(3, 25), limits=L) == []
    too_soon = rules.increase_breaches(history=history, order=order(2, 25), limits=L)
    assert codes(too_soon) == ["increase_too_soon"]


def test_increase_of_10_mg_passes_and_of_10_5_mg_is_too_large() -> None:
    """4066/QĐ-BYT dose adjustment (and 3140/QĐ-BYT): 5–10 mg per increase."""
    history = [order(0, 20, rules.INDUCTION)]
    assert rules.increase_breaches(history=history, order=order(3, 30), limits=L) == []
    found = rules.increase_breaches(history=history, order=order(3, "30.5"), limits=L)
    assert codes(found) == ["increase_too_large"]


def test_week_increase_of_20_mg_passes_and_of_25_mg_breaks_the_cap() -> None:
    """4066/QĐ-BYT dose adjustment (and 3140/QĐ-BYT): at most 20 mg a week."""
    history = [order(0, 20, rules.INDUCTION), order(3, 30)]
    assert rules.increase_breaches(history=history, order=order(6, 40), limits=L) == []
    # 20 → 30 → 35 → 45: each step and pace allowed, but 25 mg over days 3–9.
    history = [order(0, 20, rules.INDUCTION), order(3, 30), order(6, 35)]
    found = rules.increase_breaches(history=history, order=order(9, 45), limits=L)
    assert codes(found) == ["week_increase_too_large"]
    # Seven days after the first order it is no longer in the window: 30 → 40 is 10 mg.
    later = [order(0, 20, rules.INDUCTION), order(3, 30), order(6, 40)]
    assert rules.week_increase(history=later, order=order(10, 45)) == Decimal(15)


def test_a_decrease_or_the_same_dose_is_no_increase() -> None:
    """4066/QĐ-BYT: the increase rules apply to increases only."""
    history = [order(0, 40)]
    assert rules.increase_breaches(history=history, order=order(1, 40), limits=L) == []
    assert rules.increase_breaches(history=history, order=order(1, 30), limits=L) == []


def test_taper_after_14_days_passes_after_13_is_too_soon() -> None:
    """4066/QĐ-BYT dose reduction (and 3140/QĐ-BYT): two weeks between reductions."""
    history = [order(0, 100, rules.MAINTENANCE), order(30, 90, rules.TAPER)]
    assert rules.taper_breaches(history=history, order=order(44, 81, rules.TAPER), limits=L) == []
    found = rules.taper_breaches(history=history, order=order(43, 81, rules.TAPER), limits=L)
    assert codes(found) == ["taper_too_soon"]


def test_taper_of_10_percent_passes_and_of_more_is_too_large() -> None:
    """4066/QĐ-BYT dose reduction (and 3140/QĐ-BYT): at most 10% of the current dose."""
    history = [order(0, 100, rules.MAINTENANCE)]
    assert rules.taper_breaches(history=history, order=order(30, 90, rules.TAPER), limits=L) == []
    found = rules.taper_breaches(history=history, order=order(30, "89.5", rules.TAPER), limits=L)
    assert codes(found) == ["taper_too_large"]


def test_a_reduction_outside_the_taper_phase_is_not_a_taper_step() -> None:
    """4066/QĐ-BYT: a reduction after missed days is the missed-dose rule's, not a taper."""
    history = [order(0, 100, rules.MAINTENANCE)]
    assert rules.taper_breaches(history=history, order=order(1, 50, rules.RESTART), limits=L) == []


GOOD = rules.Adherence(days_in_treatment=365, days_at_current_dose=90, missed_last_30=0)


def test_take_home_for_a_patient_meeting_every_condition_passes() -> None:
    """4066/QĐ-BYT take-home dispensing: maintenance, ≥ 365 days, stable 90, none missed."""
    assert (
        rules.take_home_breaches(
            take_home_days=7, phase=rules.MAINTENANCE, adherence=GOOD, limits=L
        )
        == []
    )


@pytest.mark.parametrize(
    ("days", "phase", "adherence", "code"),
    [
        (8, rules.MAINTENANCE, GOOD, "take_home_too_many"),
        (1, rules.STABILISATION, GOOD, "take_home_not_maintenance"),
        (1, rules.MAINTENANCE, rules.Adherence(364, 90, 0), "take_home_too_early"),
        (1, rules.MAINTENANCE, rules.Adherence(365, 89, 0), "take_home_unstable"),
        (1, rules.MAINTENANCE, rules.Adherence(365, 90, 1), "take_home_missed"),
    ],
)
def test_take_home_one_condition_just_missed_is_a_breach(
    days: int, phase: str, adherence: rules.Adherence, code: str
) -> None:
    """4066/QĐ-BYT take-home dispensing: each condition just outside its figure."""
    found = rules.take_home_breaches(
        take_home_days=days, phase=phase, adherence=adherence, limits=L
    )
    assert codes(found) == [code]


def test_no_take_home_days_needs_no_condition() -> None:
    """4066/QĐ-BYT: observed daily dosing is always allowed."""
    bad = rules.Adherence(0, 0, 30)
    assert (
        rules.take_home_breaches(take_home_days=0, phase=rules.INDUCTION, adherence=bad, limits=L)
        == []
    )


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (0, rules.Missed.CONTINUE),
        (2, rules.Missed.CONTINUE),
        (3, rules.Missed.ASSESS),
        (4, rules.Missed.REDUCE),
        (5, rules.Missed.RESTART),
        (30, rules.Missed.RESTART),
    ],
)
def test_missed_days_thresholds(run: int, expected: rules.Missed) -> None:
    """4066/QĐ-BYT missed doses (and 3140/QĐ-BYT): 1–2 days continue, 3 assess, 4
    reduce, 5 or more restart induction."""
    assert rules.missed_action(run=run, limits=L) is expected


def test_missed_label_is_empty_below_the_first_threshold() -> None:
    """4066/QĐ-BYT missed doses: two missed days raise no flag, three do."""
    assert rules.missed_label(run=2, limits=L) == ""
    assert "3" in rules.missed_label(run=3, limits=L)


def test_missed_run_counts_days_after_the_last_dose_taken() -> None:
    """The run is the days since the last dose taken (never taken: since the start)."""
    assert rules.missed_run(last_taken_on=day(10), started_on=D0, until=day(10)) == 0
    assert rules.missed_run(last_taken_on=day(10), started_on=D0, until=day(13)) == 3
    assert rules.missed_run(last_taken_on=None, started_on=D0, until=day(2)) == 3
    assert rules.missed_run(last_taken_on=None, started_on=D0, until=day(-1)) == 0


def test_review_is_due_sooner_during_adjustment_than_in_maintenance() -> None:
    """4066/QĐ-BYT: adjustment reassessed every few days; maintenance at least monthly."""
    assert rules.review_due_on(order=order(0, 40, rules.STABILISATION), limits=L) == day(5)
    assert rules.review_due_on(order=order(0, 80, rules.TAPER), limits=L) == day(14)
    assert rules.review_due_on(order=order(0, 80, rules.MAINTENANCE), limits=L) == day(30)


def test_limits_come_from_settings(settings: pytest.FixtureRequest) -> None:
    """A clinician's setting replaces the guideline's default."""
    settings.HOA_NHAP_METHADONE_START_MAX_MG = 25  # type: ignore[attr-defined]
    assert rules.Limits.from_settings().start_max_mg == 25
    assert rules.Limits.from_settings().taper_max_percent == 10


def test_restart_after_missed_days_is_held_to_the_starting_ceiling() -> None:
    """4066/QĐ-BYT missed doses: restarting induction starts again from the starting dose."""
    history = [order(0, 30, rules.INDUCTION), order(40, 90, rules.MAINTENANCE)]
    found = rules.prescription_breaches(
        history=history,
        order=order(60, 40, rules.RESTART),
        take_home_days=0,
        treatment_started_on=D0,
        adherence=GOOD,
        limits=L,
    )
    assert codes(found) == ["start_dose"]


def test_regression_induction_and_restart_orders_are_reviewed_daily() -> None:
    """Regression (issue 23.4): an induction order fell due for review after 5 days. The
    Ministry's prescribing rules (draft circular, 2023) have induction prescribed day by day,
    and a restart is an induction again."""
    assert rules.review_due_on(order=order(0, 20, rules.INDUCTION), limits=L) == day(1)
    assert rules.review_due_on(order=order(0, 20, rules.RESTART), limits=L) == day(1)
    slower = rules.Limits(induction_review_days=2)
    assert rules.review_due_on(order=order(0, 20, rules.INDUCTION), limits=slower) == day(2)


def test_regression_a_taper_started_in_the_first_year_is_a_breach() -> None:
    """Regression (issue 23.4): a taper started at day 30 raised nothing. 3140/QĐ-BYT (2010),
    dose reduction towards stopping: only after a year in treatment, unless the patient asks
    (the request is then written as the override reason)."""
    history = [order(0, 30, rules.INDUCTION), order(10, 60, rules.MAINTENANCE)]
    early = rules.taper_start_breach(
        history=history, order=order(30, 55, rules.TAPER), treatment_started_on=D0, limits=L
    )
    assert early is not None and early.code == "taper_too_early"
    assert "30" in early.text() and "365" in early.text()
    on_time = rules.taper_start_breach(
        history=history, order=order(365, 55, rules.TAPER), treatment_started_on=D0, limits=L
    )
    assert on_time is None
    day_before = rules.taper_start_breach(
        history=history, order=order(364, 55, rules.TAPER), treatment_started_on=D0, limits=L
    )
    assert day_before is not None
    # A later step of a taper already started is the step rules' business, not this one's.
    tapering = [*history, order(30, 55, rules.TAPER)]
    assert (
        rules.taper_start_breach(
            history=tapering, order=order(44, 50, rules.TAPER), treatment_started_on=D0, limits=L
        )
        is None
    )
    found = rules.prescription_breaches(
        history=history,
        order=order(30, 55, rules.TAPER),
        take_home_days=0,
        treatment_started_on=D0,
        adherence=GOOD,
        limits=L,
    )
    assert "taper_too_early" in codes(found)


def test_regression_below_20_mg_a_taper_goes_slower() -> None:
    """Regression (issue 23.4): 3140/QĐ-BYT (2010), dose reduction: slower below 20 mg. A step
    to a dose under ``taper_low_dose_mg`` waits ``taper_low_min_days`` since the last one."""
    history = [order(0, 22, rules.MAINTENANCE), order(400, 20, rules.TAPER)]
    step = order(400 + L.taper_low_min_days, 18, rules.TAPER)
    assert rules.taper_breaches(history=history, order=step, limits=L) == []
    sooner = order(400 + L.taper_low_min_days - 1, 18, rules.TAPER)
    assert codes(rules.taper_breaches(history=history, order=sooner, limits=L)) == [
        "taper_too_soon"
    ]
    # At 20 mg and above, two weeks are enough.
    above = [order(0, 25, rules.MAINTENANCE), order(400, 23, rules.TAPER)]
    assert (
        rules.taper_breaches(history=above, order=order(414, "20.7", rules.TAPER), limits=L) == []
    )


def test_the_new_figures_are_settings(settings: pytest.FixtureRequest) -> None:
    """Each figure of issue 23.4 is a setting (``HOA_NHAP_METHADONE_*``)."""
    settings.HOA_NHAP_METHADONE_TAPER_MIN_TREATMENT_DAYS = 180  # type: ignore[attr-defined]
    settings.HOA_NHAP_METHADONE_INDUCTION_REVIEW_DAYS = 2  # type: ignore[attr-defined]
    limits = rules.Limits.from_settings()
    assert (limits.taper_min_treatment_days, limits.induction_review_days) == (180, 2)
    assert (limits.taper_low_dose_mg, limits.taper_low_min_days) == (20, 28)


# --- at the counter (issue 23.1) -------------------------------------------------------------


def counter(**values: object) -> rules.Counter:
    base: dict[str, object] = {
        "prescribed_mg": Decimal(90),
        "split_parts": 1,
        "override_mg": None,
        "missed": rules.Missed.CONTINUE,
        "missed_days": 0,
        "prescriber_acted": False,
        "prescriber": "BS. Hà",
    }
    return rules.Counter(**(base | values))  # type: ignore[arg-type]


def refusal(amount: str, acknowledged: bool = False, **values: Any) -> str | None:
    found = rules.dose_refusal(
        amount=Decimal(amount), counter=counter(**values), acknowledged=acknowledged
    )
    return found.code if found else None


def test_regression_only_the_prescribed_dose_passes_the_counter() -> None:
    """Regression (issue 23.1): on a 90 mg prescription "observed 180 mg" was stored. The
    prescribed dose passes; a tenth of a mg more or less is refused, naming the prescriber."""
    assert refusal("90") is None
    assert refusal("180") == refusal("90.1") == refusal("89.9") == "dose_not_prescribed"
    found = rules.dose_refusal(amount=Decimal(180), counter=counter(), acknowledged=True)
    assert found is not None and "BS. Hà" in found.text() and "180" in found.text()


def test_a_documented_split_allows_its_parts_and_nothing_else() -> None:
    """A prescription split into equal parts lets the counter give one part or the whole."""
    assert refusal("45", split_parts=2) is None and refusal("90", split_parts=2) is None
    assert refusal("40", split_parts=2) == "dose_not_prescribed"
    assert refusal("30", split_parts=3) is None and refusal("60", split_parts=3) is None
    assert refusal("45", split_parts=1) == "dose_not_prescribed"


def test_a_prescribers_one_day_dose_replaces_the_prescribed_one() -> None:
    assert refusal("35", override_mg=Decimal(35)) is None
    assert refusal("90", override_mg=Decimal(35)) == "dose_not_prescribed"


def test_regression_restart_and_reduce_block_the_dose_until_a_prescriber_acts() -> None:
    """Regression (issue 23.1): a patient flagged "missed 5 days: restart induction" on 70 mg
    was given the full 70 mg with one tap. 4066/QĐ-BYT missed doses: restart (≥ 5 days) and
    reduce (4 days) block any dose, acknowledged or not, until a prescriber has acted."""
    restart: dict[str, Any] = {
        "missed": rules.Missed.RESTART,
        "missed_days": 5,
        "prescribed_mg": Decimal(70),
    }
    assert refusal("70", True, **restart) == "dose_blocked_restart"
    assert refusal("35", True, **restart) == "dose_blocked_restart"
    reduce: dict[str, Any] = {"missed": rules.Missed.REDUCE, "missed_days": 4}
    assert refusal("90", True, **reduce) == "dose_blocked_reduce"
    # Once the prescriber acted (a new order or a one-day dose), only that dose passes.
    assert (
        refusal(
            "30",
            prescribed_mg=Decimal(30),
            prescriber_acted=True,
            **{k: v for k, v in restart.items() if k != "prescribed_mg"},
        )
        is None
    )
    assert refusal("70", override_mg=Decimal(35), prescriber_acted=True, **restart) == (
        "dose_not_prescribed"
    )


def test_assess_needs_the_acknowledgement() -> None:
    """4066/QĐ-BYT missed doses (3 days): assess before dosing; the one who doses confirms."""
    assess: dict[str, Any] = {"missed": rules.Missed.ASSESS, "missed_days": 3}
    assert refusal("90", False, **assess) == "dose_assess_unconfirmed"
    assert refusal("90", True, **assess) is None
    assert refusal("180", True, **assess) == "dose_not_prescribed"


def test_the_day_a_missed_run_called_for_an_action() -> None:
    """The run's first missed day plus the threshold, less one: its last missed day."""
    reached = rules.missed_level_reached_on(
        last_taken_on=day(0), started_on=D0, action=rules.Missed.RESTART, limits=L
    )
    assert reached == day(5)  # days 1..5 missed
    never = rules.missed_level_reached_on(
        last_taken_on=None, started_on=D0, action=rules.Missed.REDUCE, limits=L
    )
    assert never == day(3)
