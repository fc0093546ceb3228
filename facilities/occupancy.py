"""Who stays in a facility on a day: the one module of the registry that reads stays.

A person stays at a facility on a day when a residential treatment episode (voluntary or
compulsory treatment at a facility: its stages lie inside it) with that facility as provider,
or a shelter stay (Nhà Nhân ái) at it, is open on that day (started on or before it, not
ended before it). Only counts leave this module, never a person.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from cases.models import Person
from services.models import ShelterStay, TreatmentEpisode
from services.models.episodes import RESIDENTIAL


def staying(day: datetime.date, organisations: Iterable[UUID]) -> dict[UUID, int]:
    """Return, per organisation, the number of people staying there on ``day``."""
    ids = list(organisations)
    if not ids:
        return {}
    found: dict[UUID, int] = {}
    episodes = (
        TreatmentEpisode.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day),
            modality__in=RESIDENTIAL,
            started_on__lte=day,
            provider_id__in=ids,
        )
        .order_by()
        .values("provider_id")
        .annotate(people=Count("person_id", distinct=True))
    )
    for row in episodes:
        found[row["provider_id"]] = found.get(row["provider_id"], 0) + row["people"]
    stays = (
        ShelterStay.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gte=day),
            entered_on__lte=day,
            shelter_id__in=ids,
        )
        .order_by()
        .values("shelter_id")
        .annotate(people=Count("person_id", distinct=True))
    )
    for stay in stays:
        found[stay["shelter_id"]] = found.get(stay["shelter_id"], 0) + stay["people"]
    return found


def staying_people(day: datetime.date, organisations: Iterable[UUID]) -> QuerySet[Person]:
    """Return the people staying at these organisations on ``day`` (for "the people behind
    this number": the caller narrows it with ``cases.access.visible_people``)."""
    ids = list(organisations)
    episodes = TreatmentEpisode.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=day),
        modality__in=RESIDENTIAL,
        started_on__lte=day,
        provider_id__in=ids,
    ).values("person_id")
    stays = ShelterStay.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gte=day),
        entered_on__lte=day,
        shelter_id__in=ids,
    ).values("person_id")
    return Person.objects.filter(Q(pk__in=episodes) | Q(pk__in=stays))
