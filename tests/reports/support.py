"""Builders for the indicator tests' hand-made datasets (records written directly, like the
methadone figures' tests: the indicators read rows, not forms).

The query of every test maps communes 98101 and 98102 into district 981's row (two communes,
one row), 98201 into district 982's, and 98001 (directly under the province) into its own.
"""

from __future__ import annotations

import datetime
from typing import Any

from cases.choices import CaseStatus
from cases.models import Case, Organisation, OrganisationType, Person
from reports import registry
from reports.registry import Cell, Period, Query, Result
from services.models import (
    PostRehabPeriod,
    Screening,
    ServiceRecord,
    ServiceType,
    ShelterStay,
    TreatmentEpisode,
    VocationalSupport,
)
from tests.conftest import World
from tests.factories import make_case, make_person

D = datetime.date
# The period of most tests: the first half of 2025.
H1 = Period(D(2025, 1, 1), D(2025, 6, 30))
OPENED = D(2024, 1, 1)  # a case's default opening day


class Data:
    """Writes people, cases and records for one test's dataset."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.user = world.users["lan"]
        self.units = world.units

    def org(self, name: str, type_code: str, unit: str = "province") -> Organisation:
        return Organisation.objects.create(
            name=name, type=OrganisationType.objects.get(code=type_code), unit=self.units[unit]
        )

    def rows(self) -> dict[int, int]:
        u = self.units
        return {
            u["c1"].pk: u["d1"].pk,
            u["c2"].pk: u["d1"].pk,
            u["c3"].pk: u["d2"].pk,
            u["c4"].pk: u["c4"].pk,
        }

    def query(self, period: Period = H1, breakdown: str | None = None) -> Query:
        return Query(rows=self.rows(), period=period, breakdown=breakdown)

    def person(
        self, commune: str, sex: str = "M", birth_year: int = 1990, ethnicity: str = ""
    ) -> Person:
        return make_person(
            residence_commune=self.units[commune],
            registered_by=self.world.orgs["clinic_a"],
            sex=sex,
            birth_year=birth_year,
            ethnicity=ethnicity,
        )

    def case(
        self,
        person: Person,
        category: str = "addiction",
        *,
        managed: bool = True,
        opened: datetime.date = OPENED,
        closed: datetime.date | None = None,
        org: str = "clinic_a",
    ) -> Case:
        return make_case(
            person=person,
            organisation=self.world.orgs[org],
            category=category,
            managed_record=managed,
            opened_on=opened,
            closed_on=closed,
            status=CaseStatus.CLOSED if closed else CaseStatus.OPEN,
        )

    def reopen(self, case: Case, closed: datetime.date) -> Case:
        """Close the case on ``closed``, then open it again (two saves, two history rows)."""
        case.status, case.closed_on = CaseStatus.CLOSED, closed
        case.save()
        case.status, case.closed_on = CaseStatus.OPEN, None
        case.save()
        return case

    def move(self, person: Person, commune: str) -> None:
        """Move the person to another commune, as person_update does (the cases' copy too)."""
        person.residence_commune = self.units[commune]
        person.save()
        Case.objects.filter(person=person).update(residence_commune=self.units[commune])

    def episode(
        self,
        case: Case,
        started: datetime.date,
        ended: datetime.date | None = None,
        outcome: str | None = None,
        *,
        modality: str = "community_voluntary",
        provider: Organisation | str = "commune_x",
    ) -> TreatmentEpisode:
        org = self.world.orgs[provider] if isinstance(provider, str) else provider
        return TreatmentEpisode.objects.create(
            case=case,
            modality=modality,
            provider=org,
            started_on=started,
            ended_on=ended,
            outcome=outcome or ("completed" if ended else "ongoing"),
            recorded_by=self.user,
        )

    def service(
        self, case: Case, code: str, on: datetime.date, status: str = "delivered"
    ) -> ServiceRecord:
        delivered = status == "delivered"
        return ServiceRecord.objects.create(
            case=case,
            service_type=ServiceType.objects.get(code=code),
            status=status,
            delivered_on=on if delivered else None,
            due_on=None if delivered else on,
            recorded_by=self.user,
        )

    def screening(self, case: Case, on: datetime.date, injecting: str = "") -> Screening:
        return Screening.objects.create(
            case=case,
            instrument="assist",
            instrument_version="3.0",
            screened_on=on,
            screener=self.user,
            answers="{}",
            injecting=injecting,
            recorded_by=self.user,
        )

    def vocational(
        self,
        case: Case,
        started: datetime.date,
        ended: datetime.date | None = None,
        outcome: str = "ongoing",
    ) -> VocationalSupport:
        return VocationalSupport.objects.create(
            case=case,
            kind="training",
            provider_other="Trường nghề",
            started_on=started,
            ended_on=ended,
            outcome=outcome,
            recorded_by=self.user,
        )

    def post_rehab(
        self,
        case: Case,
        started: datetime.date,
        ended: datetime.date | None = None,
        outcome: str = "ongoing",
    ) -> PostRehabPeriod:
        return PostRehabPeriod.objects.create(
            case=case,
            officer=self.world.users["minh"],
            started_on=started,
            planned_end_on=started + datetime.timedelta(days=365),
            ended_on=ended,
            outcome=outcome,
            recorded_by=self.user,
        )

    def shelter(self, case: Case, entered: datetime.date, shelter: Organisation) -> ShelterStay:
        return ShelterStay.objects.create(
            case=case, shelter=shelter, entered_on=entered, recorded_by=self.user
        )


def compute(code: str, query: Query) -> Result:
    """Return the indicator's result as the tables get it: every breakdown in one grouped
    query (``registry.compute_many``), checked against ``compute`` for this breakdown."""
    indicator = registry.get(code)
    alone = indicator.compute(query)
    many = registry.compute_many(indicator, query, [None, *indicator.breakdowns])
    assert dict(many[query.breakdown]) == dict(alone), (code, query.breakdown)
    return many[query.breakdown]


def pairs(result: Result) -> dict[Any, tuple[int, int | None]]:
    """Return each cell as (numerator, denominator), for comparing with the worked values."""
    return {key: (cell.numerator, cell.denominator) for key, cell in result.items()}


def figure(cell: Cell) -> tuple[int, int | None]:
    return cell.numerator, cell.denominator
