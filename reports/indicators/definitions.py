"""The indicators of the two provincial plans that the reports app owns (issue 25, items
1–7 and 9); methadone's and referrals' plug in from their own apps.

Each definition builds its population (who is in the denominator) and its hit (who is in
the numerator) from a :class:`~reports.registry.Query`; ``engine`` counts them. The words
of each definition are in ``docs/indicators.md``: change both together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cases.choices import ClientCategory
from cases.models import Case, OrganisationType
from core.dbfunctions import AddMonths
from services.models import (
    Outcome,
    PostRehabOutcome,
    PostRehabPeriod,
    Screening,
    ServiceCategory,
    ServiceRecord,
    ServiceStatus,
    ShelterStay,
    TreatmentEpisode,
    VocationalOutcome,
    VocationalSupport,
)

from .. import registry
from ..registry import Indicator, Period, Query, Result
from . import engine
from .engine import Population, open_during

ADDICTION = ClientCategory.ADDICTION
# The support services the Law on Prevention and Combat of Human Trafficking (2024, art. 37)
# gives a returned victim, by catalogue code, in the law's order (docs/indicators.md).
VICTIM_SERVICES = (
    "essential_needs",
    "travel",
    "medical",
    "psychological",
    "legal_aid",
    "education_vocational",
    "hardship_allowance",
    "loan",
)
# Counselling and prevention (USER_REACH), counselling alone (SCREEN_COVERAGE) and the
# vocational and social support of post-rehab people (POSTREHAB_SUPPORT), by catalogue category.
REACH_CATEGORIES = (ServiceCategory.COUNSELLING, ServiceCategory.PREVENTION)
SUPPORT_CATEGORIES = (ServiceCategory.VOCATIONAL, ServiceCategory.SOCIAL)
RELAPSE_MONTHS = 12

PERSON_BREAKDOWNS = ("sex", "age_group", "ethnicity")
# The four breakdowns of every dashboard (category: of the cases that qualify).
STANDARD = (*PERSON_BREAKDOWNS, "category")


def _communes(query: Query) -> list[int]:
    return list(query.rows)


def _keys(breakdown: str) -> list[str]:
    return registry.breakdown_keys(breakdown)


# --- populations -----------------------------------------------------------------------------


def managed(query: Query, category: str) -> Population:
    """People with a managed-record case of ``category`` open at some time in the period."""
    cases = Case.objects.filter(
        open_during(query.period, "opened_on", "closed_on"),
        category=category,
        managed_record=True,
        residence_commune_id__any_of=_communes(query),
    )
    return Population(
        cases,
        unit="person_id",
        person="person__",
        commune="residence_commune_id",
        keys={"category": F("category")},
    )


def _near(query: Query, person: str) -> Q:
    """Bound a hit's records to the query's communes (``person``: the path to the person).

    It changes no figure (the hit is a probe for one person of those communes, and all a
    person's cases carry their commune), but it lets PostgreSQL read the records of the
    query's communes only, through the commune indexes, when it prefers one hashed read to
    a probe per row: without it that read is of the whole country's records.
    """
    if person == "person__":
        return Q(person__residence_commune_id__any_of=_communes(query))
    return Q(case__residence_commune_id__any_of=_communes(query))


def _episodes_during(period: Period) -> Q:
    return open_during(period, "started_on", "ended_on")


def treated(query: Query, **more: Any) -> Q:
    """The person of the row had a treatment episode (any modality) during the period."""
    episodes = TreatmentEpisode.objects.filter(
        _episodes_during(query.period),
        _near(query, "person__"),
        person_id=OuterRef("person_id"),
        **more,
    )
    return Q(Exists(episodes))


def _delivered(period: Period, *where: Q, since_start: bool = True, **more: Any) -> Any:
    when = (
        Q(delivered_on__range=(period.start, period.end))
        if since_start
        else Q(delivered_on__lte=period.end)
    )
    return ServiceRecord.objects.filter(when, *where, status=ServiceStatus.DELIVERED, **more)


def screened_or_counselled(query: Query) -> Q:
    """Screened or assessed (any instrument), or given a counselling service, in the period."""
    period = query.period
    screenings = Screening.objects.filter(
        _near(query, "case__"),
        case__person_id=OuterRef("person_id"),
        screened_on__range=(period.start, period.end),
    )
    counselled = _delivered(period, _near(query, "case__")).filter(
        case__person_id=OuterRef("person_id"),
        service_type__category=ServiceCategory.COUNSELLING,
    )
    return Q(Exists(screenings)) | Q(Exists(counselled))


def reached(query: Query) -> Q:
    """Given a counselling or prevention service in the period."""
    services = _delivered(query.period, _near(query, "case__")).filter(
        case__person_id=OuterRef("person_id"),
        service_type__category__in=REACH_CATEGORIES,
    )
    return Q(Exists(services))


def post_rehab(query: Query) -> Population:
    """People under post-rehab management in the period: a post-rehab period during it, or a
    case of the post-rehab category open during it."""
    periods = PostRehabPeriod.objects.filter(
        open_during(query.period, "started_on", "ended_on"),
        _near(query, "case__"),
        case_id=OuterRef("pk"),
    )
    cases = Case.objects.filter(residence_commune_id__any_of=_communes(query)).filter(
        Q(open_during(query.period, "opened_on", "closed_on"), category=ClientCategory.POST_REHAB)
        | Q(Exists(periods))
    )
    return Population(
        cases,
        unit="person_id",
        person="person__",
        commune="residence_commune_id",
        keys={"category": F("category")},
    )


def supported(query: Query) -> Q:
    """Vocational support during the period, or a vocational or social service in it."""
    near = _near(query, "case__")
    vocational = VocationalSupport.objects.filter(
        open_during(query.period, "started_on", "ended_on"),
        near,
        case__person_id=OuterRef("person_id"),
    )
    services = _delivered(query.period, near).filter(
        case__person_id=OuterRef("person_id"),
        service_type__category__in=SUPPORT_CATEGORIES,
    )
    return Q(Exists(vocational)) | Q(Exists(services))


def employed(query: Query) -> Q:
    """A vocational support during the period whose outcome is "employed"."""
    vocational = VocationalSupport.objects.filter(
        open_during(query.period, "started_on", "ended_on"),
        _near(query, "case__"),
        case__person_id=OuterRef("person_id"),
        outcome=VocationalOutcome.EMPLOYED,
    )
    return Q(Exists(vocational))


def returned_victims(query: Query) -> Population:
    """Returned victims whose case was opened (their return registered) in the period."""
    cases = Case.objects.filter(
        category=ClientCategory.TRAFFICKING_VICTIM,
        residence_commune_id__any_of=_communes(query),
        opened_on__range=(query.period.start, query.period.end),
    )
    return Population(
        cases,
        unit="person_id",
        person="person__",
        commune="residence_commune_id",
        keys={"category": F("category")},
    )


def victim_service(period: Period, code: str) -> Q:
    """The victim's case had support service ``code`` delivered by the period's end."""
    services = _delivered(
        period, since_start=False, case_id=OuterRef("pk"), service_type__code=code
    )
    found = Q(Exists(services))
    if code == "essential_needs":
        # A stay at a Nhà Nhân ái is the shelter part of essential needs (docs/indicators.md).
        stays = ShelterStay.objects.filter(case_id=OuterRef("pk"), entered_on__lte=period.end)
        found |= Q(Exists(stays))
    return found


def victim_supported(period: Period) -> Q:
    """At least one of the law's support services by the period's end."""
    found = Q()
    for code in VICTIM_SERVICES:
        found |= victim_service(period, code)
    return found


def new_addiction(query: Query, period: Period) -> Population:
    """People whose first case of the addiction category was opened in the period."""
    earlier = Case.objects.filter(
        person_id=OuterRef("person_id"),
        category=ADDICTION,
        opened_on__lt=period.start,
        residence_commune_id__any_of=_communes(query),  # no figure changes: see _near
    )
    cases = Case.objects.filter(
        ~Q(Exists(earlier)),
        category=ADDICTION,
        residence_commune_id__any_of=_communes(query),
        opened_on__range=(period.start, period.end),
    )
    return Population(
        cases,
        unit="person_id",
        person="person__",
        commune="residence_commune_id",
        keys={"category": F("category")},
    )


def ended_episodes(query: Query, *, outcome: str | None = None) -> Population:
    """Treatment episodes that ended in the period, transfers left out (censored)."""
    episodes = TreatmentEpisode.objects.filter(
        person__residence_commune_id__any_of=_communes(query),
        ended_on__range=(query.period.start, query.period.end),
    ).exclude(outcome=Outcome.TRANSFERRED)
    if outcome is not None:
        episodes = episodes.filter(outcome=outcome)
    return Population(
        episodes,
        unit="pk",
        person="person__",
        commune="person__residence_commune_id",
        keys={"modality": F("modality"), "category": F("case__category")},
    )


def ended_post_rehab(query: Query) -> Population:
    """Post-rehab periods that ended in the period, those of people who moved away left out."""
    periods = PostRehabPeriod.objects.filter(
        case__residence_commune_id__any_of=_communes(query),
        ended_on__range=(query.period.start, query.period.end),
    ).exclude(outcome=PostRehabOutcome.MOVED)
    return Population(
        periods,
        unit="pk",
        person="case__person__",
        commune="case__residence_commune_id",
        keys={"category": F("case__category")},
    )


def relapsed(query: Query) -> Q:
    """A new addiction case opened after the completion and within 12 months of it."""
    cases = Case.objects.filter(
        residence_commune_id__any_of=_communes(query),  # no figure changes: see _near
        person_id=OuterRef("person_id"),
        category=ADDICTION,
        opened_on__gt=OuterRef("ended_on"),
        opened_on__lte=AddMonths(OuterRef("ended_on"), RELAPSE_MONTHS),
    )
    return Q(Exists(cases))


# --- the indicators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A share whose population and hit come from the query (or a count: hit None)."""

    population: Callable[[Query], Population]
    hit: Callable[[Query], Q] | None
    kind: str = "share"

    def compute(self, query: Query) -> Result:
        hit = self.hit(query) if self.hit is not None else None
        return engine.partition(query, self.population(query), hit=hit, kind=self.kind, keys=_keys)

    def many(self, query: Query, breakdowns: Sequence[str | None]) -> dict[str | None, Result]:
        hit = self.hit(query) if self.hit is not None else None
        return engine.partition_many(
            query,
            self.population(query),
            hit=hit,
            kind=self.kind,
            keys=_keys,
            breakdowns=breakdowns,
        )

    def people(self, query: Query, row: int | None, key: str | None) -> Any:
        hit = self.hit(query) if self.hit is not None else None
        return engine.people_of(query, self.population(query), row, key, hit=hit)


@dataclass(frozen=True)
class Split:
    """A share whose numerator is split by a key of the records that make the hit."""

    population: Callable[[Query], Population]
    hit: Callable[[Query], Q]
    hits: Callable[[Query, str], Mapping[str, Q]]

    def compute(self, query: Query) -> Result:
        return engine.split(
            query,
            self.population(query),
            hit=self.hit(query),
            hits=lambda breakdown: self.hits(query, breakdown),
        )

    def many(self, query: Query, breakdowns: Sequence[str | None]) -> dict[str | None, Result]:
        # One query per breakdown; the cells without a key (the rows' figures over all keys)
        # are the same in each, so "no breakdown" is read off another breakdown's result.
        found: dict[str | None, Result] = {
            b: self.compute(Query(query.rows, query.period, b)) for b in breakdowns if b
        }
        if None in breakdowns:
            some = next(iter(found.values()), None)
            found[None] = (
                {key: cell for key, cell in some.items() if key[1] is None}
                if some is not None
                else self.compute(Query(query.rows, query.period, None))
            )
        return found

    def people(self, query: Query, row: int | None, key: str | None) -> Any:
        return engine.people_of(
            query,
            self.population(query),
            row,
            key,
            hit=self.hit(query),
            hits=lambda breakdown: self.hits(query, breakdown),
        )


@dataclass(frozen=True)
class SplitRecords:
    """A share whose numerator is split by a key of the records that make the hit, counted
    from those records in one grouped query (many keys: one EXISTS each would not scale)."""

    population: Callable[[Query], Population]
    hit: Callable[[Query], Q]
    records: Callable[[Query], Population]

    def compute(self, query: Query) -> Result:
        return engine.split_records(
            query,
            self.population(query),
            hit=self.hit(query),
            records=self.records(query),
            keys=_keys,
        )

    def many(self, query: Query, breakdowns: Sequence[str | None]) -> dict[str | None, Result]:
        return engine.split_records_many(
            query,
            self.population(query),
            hit=self.hit(query),
            records=self.records(query),
            keys=_keys,
            breakdowns=breakdowns,
        )

    def people(self, query: Query, row: int | None, key: str | None) -> Any:
        if key is None:
            return engine.people_of(query, self.population(query), row, None, hit=self.hit(query))
        return engine.people_of(query, self.records(query), row, key, hit=None)


def treatment_records(query: Query) -> Population:
    """The treatment episodes during the period of the people with a managed record."""
    episodes = TreatmentEpisode.objects.filter(
        _episodes_during(query.period),
        _near(query, "person__"),
        person_id__in=_addicted(query).person_ids(),
    )
    return Population(
        episodes,
        unit="person_id",
        person="person__",
        commune="person__residence_commune_id",
        keys={"org_type": F("provider__type__code"), "sector": F("provider__type__sector")},
    )


def _service_hits(query: Query, breakdown: str) -> dict[str, Q]:
    return {code: victim_service(query.period, code) for code in VICTIM_SERVICES}


def _supported_people(query: Query) -> Population:
    population = post_rehab(query)
    rows = population.rows.filter(supported(query))
    return Population(
        rows,
        unit=population.unit,
        person=population.person,
        commune=population.commune,
        keys=population.keys,
    )


def indicator(
    code: str,
    name: Any,
    group: str,
    order: int,
    definition: Share | Split | SplitRecords,
    *,
    breakdowns: tuple[str, ...] = STANDARD,
    victims: bool = False,
    today: bool = False,
) -> Indicator:
    """Return the registry entry of a definition."""
    kind = definition.kind if isinstance(definition, Share) else "share"
    return Indicator(
        code=code, name=name, group=group, kind=kind,  # type: ignore[arg-type]
        compute=definition.compute, people=definition.people, breakdowns=breakdowns,
        victims=victims, order=order, many=definition.many, today=today,
    )  # fmt: skip


def _addicted(query: Query) -> Population:
    return managed(query, ADDICTION)


def _users(query: Query) -> Population:
    return managed(query, ClientCategory.DRUG_USER)


def _completed(query: Query) -> Population:
    """People (not episodes) with a treatment episode completed in the period."""
    episodes = ended_episodes(query, outcome=Outcome.COMPLETED)
    return Population(
        episodes.rows,
        unit="person_id",
        person=episodes.person,
        commune=episodes.commune,
        keys=episodes.keys,
    )


def _previous(query: Query) -> Population:
    return new_addiction(query, engine.previous(query.period))


def all_indicators() -> list[Indicator]:
    """Return the reports app's own indicators."""
    return [
        indicator(
            "TX_COVERAGE",
            _("Treatment coverage (people with addiction with a managed record)"),
            "treatment",
            10,
            Share(_addicted, treated),
        ),
        indicator(
            "TX_SECTOR",
            _("Treated, by provider type or sector"),
            "treatment",
            20,
            SplitRecords(_addicted, treated, treatment_records),
            breakdowns=("org_type", "sector"),
        ),
        indicator(
            "SCREEN_COVERAGE",
            _("Counselled, screened or assessed (people with addiction with a managed record)"),
            "screening",
            10,
            Share(_addicted, screened_or_counselled),
        ),
        indicator(
            "POSTREHAB_SUPPORT",
            _("Post-rehab people given vocational, job or reintegration support"),
            "postrehab",
            10,
            Share(post_rehab, supported),
            breakdowns=(*PERSON_BREAKDOWNS, "category"),
        ),
        indicator(
            "POSTREHAB_EMPLOYED",
            _("Employed after support (post-rehab people supported)"),
            "postrehab",
            20,
            Share(_supported_people, employed),
            breakdowns=(*PERSON_BREAKDOWNS, "category"),
        ),
        indicator(
            "USER_REACH",
            _("Illegal drug users with a managed record reached by counselling or prevention"),
            "users",
            10,
            Share(_users, reached),
        ),
        indicator(
            "VICTIM_SUPPORT",
            _("Returned victims given at least one support service"),
            "victims",
            10,
            Share(returned_victims, lambda q: victim_supported(q.period)),
            victims=True,
        ),
        indicator(
            "VICTIM_SERVICE",
            _("Returned victims given each support service"),
            "victims",
            20,
            Split(returned_victims, lambda q: victim_supported(q.period), _service_hits),
            breakdowns=("service",),
            victims=True,
        ),
        indicator(
            "NEW_ADDICTION",
            _("New people with addiction registered"),
            "registrations",
            10,
            Share(lambda q: new_addiction(q, q.period), None, kind="count"),
        ),
        indicator(
            "NEW_ADDICTION_PREV",
            _("New people with addiction registered, previous period"),
            "registrations",
            20,
            Share(_previous, None, kind="count"),
        ),
        indicator(
            "TX_COMPLETED",
            _("Treatment episodes completed"),
            "quality",
            10,
            Share(ended_episodes, lambda q: Q(outcome=Outcome.COMPLETED)),
            breakdowns=(*PERSON_BREAKDOWNS, "category", "modality"),
        ),
        indicator(
            "TX_DROPPED",
            _("Treatment episodes dropped out"),
            "quality",
            20,
            Share(ended_episodes, lambda q: Q(outcome=Outcome.DROPPED_OUT)),
            breakdowns=(*PERSON_BREAKDOWNS, "category", "modality"),
        ),
        indicator(
            "POSTREHAB_COMPLETED",
            _("Post-rehab management periods completed"),
            "quality",
            30,
            Share(ended_post_rehab, lambda q: Q(outcome=PostRehabOutcome.COMPLETED)),
            breakdowns=(*PERSON_BREAKDOWNS, "category"),
        ),
        indicator(
            "RELAPSE",
            _("Relapse within 12 months of completed treatment"),
            "quality",
            40,
            Share(_completed, relapsed),
            breakdowns=(*PERSON_BREAKDOWNS, "category", "modality"),
        ),
    ]


def _org_types() -> list[tuple[str, Any]]:
    return list(OrganisationType.objects.order_by("name").values_list("code", "name"))


def _sectors() -> list[tuple[str, Any]]:
    sectors = OrganisationType.objects.exclude(sector="").order_by("sector")
    return [(s, s) for s in sectors.values_list("sector", flat=True).distinct()]


def _services() -> list[tuple[str, Any]]:
    from services.models import ServiceType

    names = {s.code: s.name for s in ServiceType.objects.filter(code__in=VICTIM_SERVICES)}
    return [(code, names.get(code, code)) for code in VICTIM_SERVICES]


def first_year() -> int | None:
    """Return the year of the earliest case opening or episode start (every record hangs
    off a case), None without any: where the figures roll-up begins (``reports.rollup``)."""
    firsts = [
        Case.objects.aggregate(first=Min("opened_on"))["first"],
        TreatmentEpisode.objects.aggregate(first=Min("started_on"))["first"],
    ]
    known = [day.year for day in firsts if day is not None]
    return min(known) if known else None


def all_breakdowns() -> list[registry.Breakdown]:
    """Return the breakdowns: the four of every dashboard, and the indicator-specific ones."""
    from services.models import Modality

    standard = engine.standard_keys()
    names = {
        "sex": _("Sex"),
        "age_group": _("Age group"),
        "ethnicity": _("Ethnicity"),
        "category": _("Client category"),
    }
    found = [
        registry.Breakdown(code, names[code], functools.partial(list, keys))
        for code, keys in standard.items()
    ]
    found += [
        registry.Breakdown("modality", _("Modality"), lambda: list(Modality.choices)),
        registry.Breakdown("org_type", _("Provider type"), _org_types),
        registry.Breakdown("sector", _("Provider sector"), _sectors),
        registry.Breakdown("service", _("Support service"), _services),
    ]
    return found
