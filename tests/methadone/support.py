"""Methadone test data: an episode in treatment at a clinic, with a prescription."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases.models import Case, Person
from services.methadone.models import Phase, Prescription
from services.models import TreatmentEpisode


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def methadone_episode(
    person: Person,
    *,
    clinic: Any,
    by: Any,
    started: int = 100,
    dose: int | None = 60,
    take_home_days: int = 0,
) -> TreatmentEpisode:
    """Enrol the person (their first case) at the clinic, with a prescription in force."""
    case = Case.objects.filter(person=person).order_by("created_at")[0]
    episode = TreatmentEpisode.objects.create(
        case=case,
        modality="methadone",
        provider=clinic,
        started_on=days_ago(started),
        recorded_by=by,
    )
    if dose is not None:
        Prescription.objects.create(
            case=case,
            episode=episode,
            starts_on=days_ago(started),
            dose_mg=Decimal(dose),
            phase=Phase.MAINTENANCE,
            take_home_days=take_home_days,
            prescriber=by,
            recorded_by=by,
        )
    return episode
