"""Fictitious demo methadone patients for the demo province: about twenty patients in treatment
at clinic A, their prescriptions and 60 days of doses, so the clinic's list of the day is alive
in ``make run``. Only called by ``seed_demo`` (HOA_NHAP_DEMO=1)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases import dues
from cases.choices import CaseStatus, ClientCategory
from cases.models import Case
from services.models import Modality, TreatmentEpisode

from . import rules
from .models import Dose, DoseKind, Phase, Prescription

PATIENTS = 20
DAYS = 60
CLINIC_NAME = "Cơ sở điều trị methadone Núi Mẫu"


def seed(rng: random.Random) -> None:
    """Enrol up to twenty of clinic A's open drug cases in methadone, with doses: the doctor
    (duc, the clinic's prescriber) writes the prescriptions, the nurse (lan) records doses."""
    nurse = User.objects.filter(username="lan").first()
    doctor = User.objects.filter(username="duc", staff__may_prescribe=True).first()
    if nurse is None or doctor is None:
        return
    today = timezone.localdate()
    cases = Case.objects.filter(
        organisation__name=CLINIC_NAME,
        status=CaseStatus.OPEN,
        category__in=[ClientCategory.ADDICTION, ClientCategory.DRUG_USER],
    ).order_by("opened_on", "id")[:PATIENTS]
    for number, case in enumerate(cases):
        started = today - datetime.timedelta(days=rng.randrange(20, 420))
        episode = TreatmentEpisode.objects.create(
            case=case,
            modality=Modality.METHADONE,
            provider=case.organisation,
            started_on=started,
            recorded_by=nurse,
        )
        dose = _prescriptions(rng, episode, doctor, today)
        _doses(rng, episode, nurse, today, dose, absent=number % 7 == 3)
        dues.case_refresh(case_id=case.pk)


def _prescriptions(
    rng: random.Random, episode: TreatmentEpisode, doctor: Any, today: datetime.date
) -> Decimal:
    """Write an induction, a few increases and a maintenance order; return the last dose."""
    limits = rules.Limits.from_settings()
    day, dose = episode.started_on, Decimal(rng.choice([15, 20, 25, 30]))
    orders = [(day, dose, Phase.INDUCTION)]
    target = Decimal(rng.randrange(50, 120, 5))
    while dose < target and day + datetime.timedelta(days=4) < today:
        day += datetime.timedelta(days=rng.choice([4, 5, 7]))
        dose = min(dose + 10, target)
        orders.append((day, dose, Phase.STABILISATION))
    if day + datetime.timedelta(days=7) < today:
        orders.append((day + datetime.timedelta(days=7), dose, Phase.MAINTENANCE))
    for number, (starts_on, mg, phase) in enumerate(orders):
        last = number == len(orders) - 1
        order = rules.Order(starts_on, mg, phase)
        row = Prescription.objects.create(
            case_id=episode.case_id,
            episode=episode,
            starts_on=starts_on,
            dose_mg=mg,
            phase=phase,
            prescriber=doctor,
            recorded_by=doctor,
            reason="Đánh giá lâm sàng (demo)",
            review_due_on=rules.review_due_on(order=order, limits=limits) if last else None,
            review_reason="scheduled" if last else "",
        )
        # Written the day it starts (not at seeding time), so a patient who stopped coming
        # days ago is blocked at the counter until the prescriber acts, as in a real clinic.
        written = datetime.datetime.combine(
            starts_on, datetime.time(8), timezone.get_current_timezone()
        )
        Prescription.objects.filter(pk=row.pk).update(created_at=written)
    return dose


def _doses(
    rng: random.Random,
    episode: TreatmentEpisode,
    nurse: Any,
    today: datetime.date,
    dose: Decimal,
    *,
    absent: bool,
) -> None:
    """Write the last 60 days (not today): mostly observed, a few no-shows and gaps."""
    first = max(episode.started_on, today - datetime.timedelta(days=DAYS))
    stop = today - datetime.timedelta(days=rng.randrange(3, 6)) if absent else today
    rows = []
    day = first
    while day < stop:
        roll = rng.random()
        if roll < 0.88:
            rows.append(
                Dose(
                    episode=episode,
                    given_on=day,
                    kind=DoseKind.OBSERVED,
                    dose_mg=dose,
                    recorded_by=nurse,
                )
            )
        elif roll < 0.95:
            rows.append(
                Dose(episode=episode, given_on=day, kind=DoseKind.MISSED, recorded_by=nurse)
            )
        day += datetime.timedelta(days=1)
    Dose.objects.bulk_create(rows)
