"""target_for: a unit's own target, else its nearest ancestor's, for the year a period ends in."""

from __future__ import annotations

import datetime
from decimal import Decimal

from reports.plans import TargetValue, ancestor_paths, target_for
from reports.registry import Period
from tests.conftest import World
from tests.reports.plan_fixtures import COUNT, SHARE, make_plan, make_target

YEAR_2025 = Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))


def test_ancestor_paths() -> None:
    assert ancestor_paths("/98/981/98101/") == ["/98/", "/98/981/", "/98/981/98101/"]


def test_a_unit_gets_its_own_target(world: World) -> None:
    plan = make_plan(world.units["province"])
    make_target(plan, unit=world.units["province"], value=Decimal("70"))
    make_target(plan, unit=world.units["d1"], value=Decimal("75.5"), comparison="more_than")
    found = target_for(world.units["d1"], SHARE, YEAR_2025)
    assert found == TargetValue(
        value=Decimal("75.50"),
        kind="share",
        comparison="more_than",
        plan_number="30/KH-UBND",
        unit_id=world.units["d1"].pk,
        year=2025,
    )


def test_a_unit_without_a_target_takes_the_nearest_ancestors(world: World) -> None:
    plan = make_plan(world.units["province"])
    make_target(plan, unit=world.units["province"], value=Decimal("70"))
    make_target(plan, unit=world.units["d1"], value=Decimal("80"))
    # Commune 98101 sits under district 981: the district's, not the province's.
    found = target_for(world.units["c1"], SHARE, YEAR_2025)
    assert found is not None and found.value == Decimal("80")
    assert found.unit_id == world.units["d1"].pk
    # Commune 98201 (district 982 has none): the province's.
    other = target_for(world.units["c3"], SHARE, YEAR_2025)
    assert other is not None and other.value == Decimal("70")
    # A commune directly under the province (2-tier): the province's.
    two_tier = target_for(world.units["c4"], SHARE, YEAR_2025)
    assert two_tier is not None and two_tier.unit_id == world.units["province"].pk


def test_no_plan_no_target(world: World) -> None:
    plan = make_plan(world.units["d2"])
    make_target(plan, unit=world.units["d2"])
    # A sibling district's target is not an ancestor's.
    assert target_for(world.units["c1"], SHARE, YEAR_2025) is None
    # Another indicator: none either.
    assert target_for(world.units["c3"], COUNT, YEAR_2025) is None


def test_the_year_is_the_year_the_period_ends_in(world: World) -> None:
    plan = make_plan(world.units["province"])
    make_target(plan, year=2025, value=Decimal("70"))
    make_target(plan, year=2026, value=Decimal("75"))
    # The second half of 2025 to the first of 2026: judged against 2026.
    straddling = Period(datetime.date(2025, 7, 1), datetime.date(2026, 6, 30))
    found = target_for(world.units["c1"], SHARE, straddling)
    assert found is not None and (found.value, found.year) == (Decimal("75"), 2026)
    later = Period(datetime.date(2027, 1, 1), datetime.date(2027, 6, 30))
    assert target_for(world.units["c1"], SHARE, later) is None


def test_a_count_target_and_its_comparison(world: World) -> None:
    plan = make_plan(world.units["province"])
    make_target(plan, indicator=COUNT, kind="count", comparison="at_most", value=Decimal("40"))
    found = target_for(world.units["province"], COUNT, YEAR_2025)
    assert found is not None and (found.kind, found.comparison) == ("count", "at_most")
    assert found.met(40) is True and found.met(41) is False


def test_met_follows_the_comparison() -> None:
    at_least = TargetValue(Decimal("70"), "share", "at_least", "30/KH-UBND")
    more_than = TargetValue(Decimal("80"), "share", "more_than", "4960/KH-UBND")
    assert at_least.met(70.0) is True and at_least.met(69.99) is False
    assert more_than.met(80) is False and more_than.met(80.01) is True
    assert at_least.met(None) is None


def test_of_two_plans_the_one_issued_last_wins(world: World) -> None:
    old = make_plan(world.units["province"], issued_on=datetime.date(2024, 3, 1))
    new = make_plan(
        world.units["province"], number="12/KH-UBND", issued_on=datetime.date(2025, 2, 1)
    )
    make_target(old, value=Decimal("60"))
    make_target(new, value=Decimal("70"))
    found = target_for(world.units["c1"], SHARE, YEAR_2025)
    assert found is not None and found.plan_number == "12/KH-UBND"
