"""Methadone's indicators for the figures registry (issue 25, item 8), registered from
``MethadoneConfig.ready``: in treatment at the period's end, retention at 6 and 12 months,
adherence, and the people who inject. Definitions in ``docs/indicators.md``; the clinic
page's own figures (``figures.py``, ``docs/methadone-figures.md``) use the same rules for
a dosed day, an expected day, retention and transfers.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from core.dbfunctions import AddMonths, DaysBetween
from reports import registry
from reports.indicators.definitions import PERSON_BREAKDOWNS, Share, indicator
from reports.indicators.engine import Population, add_months, day
from reports.registry import Query
from services.instruments import assist_v3_0
from services.models import Modality, Outcome, Screening, TreatmentEpisode

from .figures import DOSED, RETENTION_AT, yesterday
from .models import Dose

# Adherence: a patient adheres when dosed on at least this share of their expected days.
ADHERENT_PERCENT = 80
# MMT_INJECTING looks at ASSIST screenings of the 12 months up to the period's end.
INJECTING_MONTHS = 12
INJECTED_RECENTLY = "yes_recent"


def _communes(query: Query) -> list[int]:
    return list(query.rows)


def _episodes(query: Query) -> Any:
    return TreatmentEpisode.objects.filter(
        modality=Modality.METHADONE, person__residence_commune_id__any_of=_communes(query)
    )


def _population(episodes: Any) -> Population:
    return Population(
        episodes,
        unit="person_id",
        person="person__",
        commune="person__residence_commune_id",
        keys={"category": F("case__category")},
    )


def in_treatment(query: Query) -> Population:
    """People with a methadone episode open on the period's last day."""
    end = query.period.end
    episodes = _episodes(query).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=end), started_on__lte=end
    )
    return _population(episodes)


def during(query: Query) -> Population:
    """People with a methadone episode open at some time in the period."""
    period = query.period
    episodes = _episodes(query).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=period.start), started_on__lte=period.end
    )
    return _population(episodes)


def cohort(query: Query, months: int, today: datetime.date | None = None) -> Population:
    """Episodes whose ``months``-month mark falls in the period (and is past), transfers
    out before the mark left out; the hit is ``retained``."""
    period = query.period
    last = min(period.end, today or timezone.localdate())
    slack = datetime.timedelta(days=3)  # the clamping of 31/03 + 6 months to 30/09
    episodes = (
        _episodes(query)
        .filter(
            started_on__gte=add_months(period.start, -months) - slack,
            started_on__lte=add_months(last, -months) + slack,
        )
        .annotate(mark=AddMonths(F("started_on"), months))
        .filter(mark__range=(period.start, last))
        .exclude(outcome=Outcome.TRANSFERRED, ended_on__lt=F("mark"))
    )
    return _population(episodes)


def retained() -> Q:
    """Still in treatment on the mark (the end day counts)."""
    return Q(ended_on__isnull=True) | Q(ended_on__gte=F("mark"))


def expected_people(query: Query, today: datetime.date | None = None) -> Population:
    """People with at least one expected methadone day in the period, with their expected
    and dosed days summed over their episodes (windows end yesterday at the latest)."""
    start = query.period.start
    last = min(query.period.end, yesterday(today))
    episodes = TreatmentEpisode.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=start),
        started_on__lte=last,
        modality=Modality.METHADONE,
        person__residence_commune_id__any_of=_communes(query),
    )
    days = DaysBetween(
        Least(Coalesce(F("ended_on"), day(last)), day(last)), Greatest(F("started_on"), day(start))
    )
    expected = (
        episodes.filter(person_id=OuterRef("pk"))
        .order_by()
        .values("person_id")
        .annotate(days=Sum(days + 1))
        .values("days")
    )
    dosed = (
        Dose.objects.filter(
            Q(episode__ended_on__isnull=True) | Q(given_on__lte=F("episode__ended_on")),
            episode__person_id=OuterRef("pk"),
            episode__modality=Modality.METHADONE,
            kind__in=DOSED,
            given_on__range=(start, last),
            given_on__gte=F("episode__started_on"),
        )
        .order_by()
        .values("episode__person_id")
        .annotate(days=Count("pk"))
        .values("days")
    )
    people = (
        Person.objects.filter(
            residence_commune_id__any_of=_communes(query), pk__in=episodes.values("person_id")
        )
        .annotate(
            expected_days=Coalesce(Subquery(expected), Value(0)),
            dosed_days=Coalesce(Subquery(dosed), Value(0)),
        )
        .annotate(expected_x=F("expected_days") * ADHERENT_PERCENT, dosed_x=F("dosed_days") * 100)
        .filter(expected_days__gt=0)
    )
    return Population(people, unit="pk", person="", commune="residence_commune_id")


def adherent() -> Q:
    """Dosed on at least 80 % of the expected days (compared exactly, never rounded)."""
    return Q(dosed_x__gte=F("expected_x"))


def injecting(query: Query) -> Q:
    """An ASSIST screening in the 12 months to the period's end: injected in the past 3 months."""
    end = query.period.end
    screenings = Screening.objects.filter(
        # Bounds a hashed read: no figure changes.
        case__residence_commune_id__any_of=_communes(query),
        case__person_id=OuterRef("person_id"),
        instrument=assist_v3_0.CODE,
        injecting=INJECTED_RECENTLY,
        screened_on__gt=add_months(end, -INJECTING_MONTHS),
        screened_on__lte=end,
    )
    return Q(Exists(screenings))


def _retention(months: int) -> Share:
    return Share(lambda q: cohort(q, months), lambda q: retained())


def register() -> None:
    """Register the methadone indicators (group "methadone", registered by reports)."""
    with_category = (*PERSON_BREAKDOWNS, "category")
    six, twelve = RETENTION_AT
    for found in (
        indicator(
            "MMT_IN_TREATMENT", _("People in methadone treatment at the end of the period"),
            "methadone", 10, Share(in_treatment, None, kind="count"), breakdowns=with_category,
        ),
        indicator(
            "MMT_RETENTION_6", _("Methadone retention at 6 months"), "methadone", 20,
            _retention(six), breakdowns=with_category, today=True,
        ),
        indicator(
            "MMT_RETENTION_12", _("Methadone retention at 12 months"), "methadone", 30,
            _retention(twelve), breakdowns=with_category, today=True,
        ),
        indicator(
            "MMT_ADHERENCE", _("Methadone patients dosed on 80 percent or more of their days"),
            "methadone", 40, Share(expected_people, lambda q: adherent()),
            breakdowns=PERSON_BREAKDOWNS, today=True,
        ),
        indicator(
            "MMT_INJECTING", _("Methadone patients who inject (from screening)"), "methadone",
            50, Share(during, injecting), breakdowns=with_category,
        ),
    ):  # fmt: skip
        registry.register(found)
