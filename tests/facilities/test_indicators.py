"""The facility indicators (D49) on a small hand-made dataset, each expected value worked out
here; their roll-up (D37) equal to the live count, and kept fresh by the triggers that mark
the facility's commune.

The query maps communes 98101 and 98102 into district 981's row, 98201 into 982's and 98001
into its own (tests/reports/support.py). The period is the first half of 2025.

Facilities (commune where each stands → row):
  F1 rehab-public, 98101 → 981, 10 beds. Reviewed 10/02/2025: meets.
  F2 nha-nhan-ai, 98102 → 981, 5 places. Reviewed 15/01/2025: meets; 20/05/2025: does not
     meet (the latest fails after an earlier pass).
  F3 rehab-public, 98201 → 982, capacity 0. Never reviewed. One person staying.
  F4 methadone-clinic, 98001, 300 patients (an outpatient capacity). Reviewed 01/08/2025
     (after H1): meets.
  F5 rehab-public, 98101, its organisation no longer active: counted nowhere.

FAC_CONDITIONS_MET, H1 (latest review on or before 30/06/2025 meets):
  F1 yes; F2 no (latest 20/05 fails); F3 no review; F4's review is after the period.
  981: 1 of 2 (F1, F2); 982: 0 of 1; 98001: 0 of 1; total 1 of 4.
  By type: rehab-public 1 of 2 (F1, F3), nha-nhan-ai 0 of 1, methadone-clinic 0 of 1.
  Q1 (to 31/03): F2's latest is the pass of 15/01 → 2 of 4. Year 2025: F4's August pass
  counts → 2 of 4 (F1, F4).

FAC_OCCUPANCY, H1, counted on 30/06/2025 (the period is over):
  F1: A (residential, from 01/06, ongoing, lives in 98201: counted at F1 all the same),
      B (residential, 01/03–30/06: the last day counts) stay; C (ended 29/06), D (methadone,
      not residential), E (starts 01/07) do not → 2 of 10.
  F2: V1 (shelter from 15/06) stays; V2 (left 10/06) does not → 1 of 5.
  F3 (capacity 0) and F4 (in patients, nobody stays) are in neither part, though G stays
  at F3.
  981: 3 of 15; 982: 0 of 0; 98001: 0 of 0; total 3 of 15.
  By type: rehab-public 2 of 10, nha-nhan-ai 1 of 5, methadone-clinic 0 of 0.
"""

from __future__ import annotations

from typing import Any

import pytest

from facilities.models import Overall
from reports import registry, rollup
from reports.registry import Cell, Period, Query
from tests.conftest import World
from tests.reports.support import H1, D, compute

from .conftest import Dataset
from .support import review

MEETS, FAILS = Overall.MEETS, Overall.DOES_NOT_MEET


def _cells(result: Any, rows: dict[str, int]) -> dict[str, tuple[int, int | None]]:
    found = {name: result[(pk, None)] for name, pk in rows.items()}
    return {name: (c.numerator, c.denominator) for name, c in found.items()}


def _rows(world: World) -> dict[str, Any]:
    u = world.units
    return {"981": u["d1"].pk, "982": u["d2"].pk, "98001": u["c4"].pk, "total": None}


@pytest.mark.django_db
def test_facilities_meeting_the_conditions(world: World, facilities: Dataset) -> None:
    query = facilities.data.query()
    result = compute("FAC_CONDITIONS_MET", query)
    assert _cells(result, _rows(world)) == {
        "981": (1, 2),
        "982": (0, 1),
        "98001": (0, 1),
        "total": (1, 4),
    }


@pytest.mark.django_db
def test_a_facility_whose_latest_review_fails_no_longer_counts(
    world: World, facilities: Dataset
) -> None:
    """F2 passed in January and failed in May: counted in the first quarter, not in H1."""
    q1 = facilities.data.query(Period(D(2025, 1, 1), D(2025, 3, 31)))
    h1 = facilities.data.query()
    d1 = world.units["d1"].pk
    assert compute("FAC_CONDITIONS_MET", q1)[(d1, None)] == Cell(2, 2)
    assert compute("FAC_CONDITIONS_MET", h1)[(d1, None)] == Cell(1, 2)
    year = facilities.data.query(Period(D(2025, 1, 1), D(2025, 12, 31)))
    assert compute("FAC_CONDITIONS_MET", year)[(None, None)] == Cell(2, 4)  # F1 and F4


@pytest.mark.django_db
def test_facilities_meeting_the_conditions_by_facility_type(
    world: World, facilities: Dataset
) -> None:
    result = compute("FAC_CONDITIONS_MET", facilities.data.query(breakdown="org_type"))
    assert result[(None, "rehab-public")] == Cell(1, 2)
    assert result[(None, "nha-nhan-ai")] == Cell(0, 1)
    assert result[(None, "methadone-clinic")] == Cell(0, 1)
    assert result[(world.units["d2"].pk, "rehab-public")] == Cell(0, 1)


@pytest.mark.django_db
def test_occupancy_counts_stays_on_the_last_day_against_known_capacity(
    world: World, facilities: Dataset
) -> None:
    result = compute("FAC_OCCUPANCY", facilities.data.query())
    assert _cells(result, _rows(world)) == {
        "981": (3, 15),
        "982": (0, 0),  # F3: capacity 0, its stay not counted
        "98001": (0, 0),  # F4: a capacity in patients
        "total": (3, 15),
    }


@pytest.mark.django_db
def test_occupancy_by_facility_type(world: World, facilities: Dataset) -> None:
    result = compute("FAC_OCCUPANCY", facilities.data.query(breakdown="org_type"))
    assert result[(None, "rehab-public")] == Cell(2, 10)
    assert result[(None, "nha-nhan-ai")] == Cell(1, 5)
    assert result[(None, "methadone-clinic")] == Cell(0, 0)


@pytest.mark.django_db
def test_a_capacity_set_later_brings_the_facility_in(world: World, facilities: Dataset) -> None:
    """Once F3's capacity is known (20 beds), its one stay and its places count; an unknown
    capacity keeps it out again."""
    facilities.f3.capacity = 20
    facilities.f3.save()
    result = compute("FAC_OCCUPANCY", facilities.data.query())
    assert result[(world.units["d2"].pk, None)] == Cell(1, 20)
    assert result[(None, None)] == Cell(4, 35)
    facilities.f3.capacity = None
    facilities.f3.save()
    assert compute("FAC_OCCUPANCY", facilities.data.query())[(None, None)] == Cell(3, 15)


@pytest.mark.django_db
def test_the_rollup_gives_the_live_figures_and_a_stay_marks_the_facilitys_commune(
    world: World, facilities: Dataset
) -> None:
    """D37's rule for the FAC_* indicators: after a build the roll-up equals the live count;
    a new stay of a person living in 98201 at F1 (98101) marks 98101 stale, so the answer
    stays exact; a review recorded marks its facility's commune too."""
    query = facilities.data.query()
    codes = ("FAC_CONDITIONS_MET", "FAC_OCCUPANCY")
    rollup.refresh(full=True, years=[2025])
    assert not rollup.stale_communes()

    def same() -> None:
        for code in codes:
            indicator = registry.get(code)
            wanted = [None, *indicator.breakdowns]
            answered = rollup.answer(indicator, query, wanted)
            assert answered is not None, code
            assert answered == rollup.live_many(indicator, query, wanted), code

    same()
    d = facilities.data
    late = d.case(d.person("c3"), opened=D(2024, 6, 1))
    d.episode(
        late, D(2025, 6, 20), modality="facility_compulsory", provider=facilities.f1.organisation
    )
    assert world.units["c1"].pk in rollup.stale_communes()
    same()
    answered = rollup.answer(registry.get("FAC_OCCUPANCY"), query, [None])
    assert answered is not None and answered[None][(None, None)] == Cell(4, 15)
    rollup.refresh(years=[2025])
    review(facilities.f3, D(2025, 6, 1), MEETS, world.users["hoa"])
    assert rollup.stale_communes() == {world.units["c3"].pk}
    same()


@pytest.mark.django_db
def test_the_period_of_occupancy_while_it_runs_is_today() -> None:
    """A period not over is counted on today (never rolled up: ``today``)."""
    from facilities.indicators import occupancy_day

    running = Period(D(2025, 1, 1), D(2999, 12, 31))
    assert occupancy_day(Query({}, running)) < D(2999, 12, 31)
    assert occupancy_day(Query({}, H1)) == D(2025, 6, 30)
    assert registry.get("FAC_OCCUPANCY").today


@pytest.mark.django_db
def test_the_people_behind_occupancy_are_those_staying(world: World, facilities: Dataset) -> None:
    """H1: A and B at F1 and V1 at F2 (3, the numerator); none at 982 (F3 is not counted);
    the Nhà Nhân ái column: V1 alone. Facilities meeting conditions name no people."""
    indicator = registry.get("FAC_OCCUPANCY")
    assert indicator.people is not None
    query = facilities.data.query()
    assert indicator.people(query, None, None).count() == 3
    assert indicator.people(query, world.units["d2"].pk, None).count() == 0
    shelter = indicator.people(query, None, "nha-nhan-ai")
    assert [p.sex for p in shelter] == ["F"]
    assert registry.get("FAC_CONDITIONS_MET").people is None
