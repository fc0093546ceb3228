"""Test indicators for the dashboard tests, registered for one test and removed after.

Two indicators over the people living in the queried communes (the real definitions live in
``reports/indicators/``): TEST_RESIDENTS counts them, TEST_ADDICTION is the share of them with
an addiction case opened in the period. Both break down by sex and list their people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db.models import Exists, OuterRef, QuerySet

from cases.choices import ClientCategory
from cases.models import Case, Person
from reports import plans, registry
from reports.plans import TargetValue
from reports.registry import Cell, Group, Indicator, Key, Query, Result

GROUP = Group("test_dashboard", "Nhóm thử", order=-1)


def _counted(query: Query) -> QuerySet[Person]:
    return Person.objects.filter(residence_commune_id__in=list(query.rows))


def _treated(query: Query) -> QuerySet[Person]:
    cases = Case.objects.filter(
        person_id=OuterRef("pk"),
        category=ClientCategory.ADDICTION,
        opened_on__gte=query.period.start,
        opened_on__lte=query.period.end,
    )
    return _counted(query).filter(Exists(cases))


def _tally(query: Query, people: QuerySet[Person]) -> dict[Key, int]:
    counts: dict[Key, int] = defaultdict(int)
    for commune, sex in people.values_list("residence_commune_id", "sex"):
        row = query.rows[commune]
        key = sex if query.breakdown == "sex" else None
        for r in (row, None):
            counts[(r, None)] += 1
            if key is not None:
                counts[(r, key)] += 1
    return counts


def _residents(query: Query) -> Result:
    return {k: Cell(n) for k, n in _tally(query, _counted(query)).items()}


def _addiction(query: Query) -> Result:
    everyone = _tally(query, _counted(query))
    treated = _tally(query, _treated(query))
    return {k: Cell(treated.get(k, 0), n) for k, n in everyone.items()}


def _people(source: str):  # type: ignore[no-untyped-def]
    def people(query: Query, row: int | None, key: str | None) -> QuerySet[Person]:
        found = _counted(query) if source == "residents" else _treated(query)
        if row is not None:
            found = found.filter(
                residence_commune_id__in=[c for c, r in query.rows.items() if r == row]
            )
        if key is not None:
            found = found.filter(sex=key)
        return found

    return people


RESIDENTS = Indicator(
    code="TEST_RESIDENTS",
    name="Người cư trú (thử)",
    group=GROUP.code,
    kind="count",
    compute=_residents,
    people=_people("residents"),
    breakdowns=("sex",),
    order=1,
)
ADDICTION = Indicator(
    code="TEST_ADDICTION",
    name="Tỷ lệ nghiện được điều trị (thử)",
    group=GROUP.code,
    kind="share",
    compute=_addiction,
    people=_people("addiction"),
    breakdowns=("sex",),
    order=2,
)


@pytest.fixture
def indicators() -> Iterator[tuple[Indicator, Indicator]]:
    """Register the two test indicators (and their group) for one test."""
    registry.register_group(GROUP)
    registry.register(RESIDENTS)
    registry.register(ADDICTION)
    yield RESIDENTS, ADDICTION
    registry.unregister(RESIDENTS.code)
    registry.unregister(ADDICTION.code)
    registry._groups.pop(GROUP.code, None)


@pytest.fixture
def target_70(monkeypatch: pytest.MonkeyPatch) -> TargetValue:
    """A plan's target of ≥ 70 % for TEST_ADDICTION (until plans land, target_for is a stub)."""
    target = TargetValue(Decimal(70), "share", "at_least", "30/KH-UBND")

    def target_for(unit, code, period):  # type: ignore[no-untyped-def]
        return target if code == ADDICTION.code else None

    monkeypatch.setattr(plans, "target_for", target_for)
    return target
