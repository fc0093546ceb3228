"""Coverage figures with a person who moved mid-period (D50, docs/indicators.md "People who
moved"): a person counts in the commune they lived in on the period's last day — once,
never twice, never nowhere — and the roll-up gives the live figures.

The dataset (TX_COVERAGE: people with a managed addiction case open in the period, and how
many of them had a treatment episode during it):

- P lives in 98101 (district 981) until 1 May 2025, then in 98201 (district 982); case
  opened 1 Jan 2024; a treatment episode 1 Feb – 31 Mar 2025.
- Q lives in 98101 all along; case opened 1 Jan 2024; never treated.
- R lives in 98201 all along; case opened 1 Jan 2024; an episode from 10 Jan 2025, open.

Worked values (numerator / denominator):

| period | ends | P counted in | 98101 | 98201 | district 981 | district 982 | province |
|---|---|---|---|---|---|---|---|
| Q1 2025 | 31 Mar | 98101 | 1/2 (P treated, Q) | 1/1 (R) | 1/2 | 1/1 | 2/3 |
| Q2 2025 | 30 Jun | 98201 | 0/1 (Q) | 1/2 (R treated; P not in Q2) | 0/1 | 1/2 | 1/3 |
| H1 2025 | 30 Jun | 98201 | 0/1 (Q) | 2/2 (P in Feb–Mar, R) | 0/1 | 2/2 | 2/3 |
| 2024 | 31 Dec 2024 | 98101 (the stretch before the history) | 0/2 | 0/1 | 0/2 | 0/1 | 0/3 |
"""

from __future__ import annotations

from typing import Any

import pytest

from cases import residence
from cases.models import Person
from cases.move_models import ResidenceSource
from reports import registry, rollup
from reports.indicators import engine
from reports.registry import Period, Query
from tests.conftest import World

from .support import D, Data

Q1 = Period(D(2025, 1, 1), D(2025, 3, 31))
Q2 = Period(D(2025, 4, 1), D(2025, 6, 30))
H1 = Period(D(2025, 1, 1), D(2025, 6, 30))
Y2024 = Period(D(2024, 1, 1), D(2024, 12, 31))
MOVED_ON = D(2025, 5, 1)

# (period) → {commune code: (num, den)}, {district or commune row code: (num, den)}, total
Pair = tuple[int, int]
EXPECTED: dict[Period, tuple[dict[str, Pair], dict[str, Pair], Pair]] = {
    Q1: ({"98101": (1, 2), "98201": (1, 1)}, {"981": (1, 2), "982": (1, 1)}, (2, 3)),
    Q2: ({"98101": (0, 1), "98201": (1, 2)}, {"981": (0, 1), "982": (1, 2)}, (1, 3)),
    H1: ({"98101": (0, 1), "98201": (2, 2)}, {"981": (0, 1), "982": (2, 2)}, (2, 3)),
    Y2024: ({"98101": (0, 2), "98201": (0, 1)}, {"981": (0, 2), "982": (0, 1)}, (0, 3)),
}


def _move(d: Data, person: Person, old: str, new: str) -> None:
    """The person's commune changes as a move's acceptance changes it: the person row, the
    cases' copies and the residence history, in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        d.move(person, new)
        residence.residence_record(
            person_id=person.pk,
            old_commune_id=d.units[old].pk,
            new_commune_id=d.units[new].pk,
            on=MOVED_ON,
            source=ResidenceSource.MOVE,
        )


@pytest.fixture
def movers(world: World) -> dict[str, Person]:
    d = Data(world)
    p, q, r = d.person("c1"), d.person("c1"), d.person("c3")
    d.episode(d.case(p), D(2025, 2, 1), D(2025, 3, 31), outcome="completed")
    d.case(q)
    d.episode(d.case(r), D(2025, 1, 10))
    _move(d, p, "c1", "c3")
    return {"P": p, "Q": q, "R": r}


def _by_commune(world: World) -> dict[int, int]:
    return {world.units[c].pk: world.units[c].pk for c in ("c1", "c2", "c3", "c4")}


def _by_district(world: World) -> dict[int, int]:
    return Data(world).rows()


def _figures(world: World, rows: dict[int, int], period: Period, *, live: bool) -> dict[Any, Any]:
    indicator = registry.get("TX_COVERAGE")
    query = Query(rows, period)
    if live:
        result = rollup.live_many(indicator, query, [None])[None]
    else:
        found = rollup.answer(indicator, query, [None])
        assert found is not None
        result = found[None]
    codes = {u.pk: u.code for u in world.units.values()}
    return {
        (codes[row] if row is not None else None): (cell.numerator, cell.denominator)
        for (row, key), cell in result.items()
        if key is None
    }


def _expected(period: Period, level: int) -> dict[Any, tuple[int, int]]:
    communes, districts, total = EXPECTED[period]
    rows = dict(communes if level == 0 else districts)
    if level == 0:
        rows.setdefault("98102", (0, 0))
    rows.setdefault("98001", (0, 0))
    return {**rows, None: total}


@pytest.mark.django_db
@pytest.mark.parametrize("period", list(EXPECTED), ids=["Q1", "Q2", "H1", "2024"])
def test_a_mover_counts_where_they_lived_on_the_periods_last_day(
    world: World, movers: dict[str, Person], period: Period
) -> None:
    for level, rows in ((0, _by_commune(world)), (1, _by_district(world))):
        assert _figures(world, rows, period, live=True) == _expected(period, level), level


@pytest.mark.django_db
def test_the_rollup_gives_the_live_figures_for_a_mover_before_and_after_the_move(
    world: World,
) -> None:
    """Built before the move, the cells of the two communes go stale with it and the roll-up
    answers the worked values; after a refresh, from the cells alone."""
    d = Data(world)
    p, q, r = d.person("c1"), d.person("c1"), d.person("c3")
    d.episode(d.case(p), D(2025, 2, 1), D(2025, 3, 31), outcome="completed")
    d.case(q)
    d.episode(d.case(r), D(2025, 1, 10))
    rollup.refresh(full=True, years=[2024, 2025])
    _move(d, p, "c1", "c3")
    assert {d.units["c1"].pk, d.units["c3"].pk} <= rollup.stale_communes()
    for refreshed in (False, True):
        if refreshed:
            rollup.refresh(years=[2024, 2025])
            assert not rollup.stale_communes()
        for period in EXPECTED:
            for level, rows in ((0, _by_commune(world)), (1, _by_district(world))):
                rolled = _figures(world, rows, period, live=False)
                assert rolled == _figures(world, rows, period, live=True)
                assert rolled == _expected(period, level), (period, level, refreshed)


@pytest.mark.django_db
def test_the_people_behind_a_number_are_the_movers_of_that_commune(
    world: World, movers: dict[str, Person]
) -> None:
    indicator = registry.get("TX_COVERAGE")
    assert indicator.people is not None
    d1, d2 = world.units["d1"].pk, world.units["d2"].pk
    for period, row, hit in ((Q1, d1, {"P"}), (H1, d2, {"P", "R"}), (H1, d1, set())):
        with engine.on_period_end(Query(_by_district(world), period)) as query:
            people = set(indicator.people(query, row, None))
        assert people == {movers[name] for name in hit}, (period, row)
