"""Each programme indicator on the hand-made dataset of ``support.py``, its expected value
worked out here (province 98, first half of 2026; rows 981, 982 and 98001).

TRAIN_STAFF_SHARE, window 12 months (01/07/2025–30/06/2026):
  in the denominator: lan, mai, minh, v1 (row 981); tuan (982); v4 (the province: total only);
  not v2 (registered after 30/06), not v3 (stopped 01/03), not hoa/an/quan (no case role),
  not the caregiver named on K1 (no account, not a registered volunteer).
  trained: lan (K1 and K2: once), minh and v1 (K1), v4 (K2); not mai (K4's topic is not
  listed), not tuan (K3 ended 01/05/2025, outside the window; K5 after the period).
  981: 3 / 4; 982: 0 / 1; 98001: 0 / 0; total 4 / 6.
  With the default 24-month window, K3 counts: 982: 1 / 1, total 5 / 6.
TRAIN_CLASSES (started in the period): K1 (province: total only, commune staff), K2 (981,
  volunteers), K4 (98201 → 982, family caregivers): 981: 1, 982: 1, total 3.
ACT_COMMUNES_REACHED: 98101 (A1 and A2: once), 98102 (A6), 98201 (A3); not 98001 (A5 is
  after the period): 981: 2 / 2; 982: 1 / 1; 98001: 0 / 1; total 3 / 4.
ACT_SESSIONS: A1, A2, A6 (981), A3 (982): 981: 3, 982: 1, total 4 (session 3, forum 1).
ACT_ATTENDEES: 981: 15 + 5 + 2 = 22, 982: 8, total 30; M 14, F 16; 0-17: 5, 18-24: 10,
  25-34: 8 (A2 and A6 recorded no age groups).
ACT_MATERIALS: 981: 100 + 50 + 2 = 152, 982: 20, total 172; leaflets 150, posters 2,
  booklets 20.
ACT_DONE_VS_PLANNED (lines ending in the period):
  province sessions × 5 (A1, A3, A6 held): 3 / 5, total only;
  981 forum × 1 (A2): 1 / 1; 981 sessions × 1 in Q1 (A1 and A6 held): 1 / 1 (capped);
  982's line ends after the period: not counted. 981: 2 / 2; 982: 0 / 0; total 5 / 7;
  sessions 4 / 6, forums 1 / 1.
"""

from __future__ import annotations

from typing import Any

import pytest

from reports import registry, rollup, tables
from reports.registry import Period
from tests.conftest import World

from .support import D, build

pytestmark = pytest.mark.django_db

H1 = Period(D(2026, 1, 1), D(2026, 6, 30))


def _figures(world: World, code: str, breakdown: str | None = None) -> dict[Any, Any]:
    """Return (row code or None, key) → (numerator, denominator) of the province's table."""
    table = tables.build_table(registry.get(code), world.units["province"], H1, breakdown)
    codes = {row.unit_id: row.code for row in table.rows}
    return {
        (codes.get(row) if row is not None else None, key): (cell.numerator, cell.denominator)
        for (row, key), cell in table.cells.items()
    }


@pytest.fixture
def programme(world: World, settings: Any) -> None:
    settings.TRAINING_WINDOW_MONTHS = 12
    build(world)


def test_staff_trained_share_counts_people_once_within_the_window(
    world: World, programme: None
) -> None:
    found = _figures(world, "TRAIN_STAFF_SHARE")
    assert found[("981", None)] == (3, 4)
    assert found[("982", None)] == (0, 1)
    assert found[("98001", None)] == (0, 0)
    assert found[(None, None)] == (4, 6)


def test_the_training_window_is_a_setting(world: World, programme: None, settings: Any) -> None:
    settings.TRAINING_WINDOW_MONTHS = 24
    found = _figures(world, "TRAIN_STAFF_SHARE")
    assert found[("982", None)] == (1, 1)  # K3 (01/05/2025) is inside 24 months
    assert found[(None, None)] == (5, 6)


def test_a_district_view_counts_its_own_rows_and_nothing_of_the_province(
    world: World, programme: None
) -> None:
    table = tables.build_table(registry.get("TRAIN_STAFF_SHARE"), world.units["d1"], H1, None)
    cells = {row.code: table.cells[(row.unit_id, None)] for row in table.rows}
    # lan and mai (scope 981: the district itself) count in its total only.
    assert (cells["98101"].numerator, cells["98101"].denominator) == (2, 2)  # minh, v1
    assert (cells["98102"].numerator, cells["98102"].denominator) == (0, 0)
    total = table.cells[(None, None)]
    assert (total.numerator, total.denominator) == (3, 4)


def test_classes_by_unit_and_audience(world: World, programme: None) -> None:
    found = _figures(world, "TRAIN_CLASSES", "audience")
    assert found[("981", None)] == (1, None)
    assert found[("982", None)] == (1, None)
    assert found[("98001", None)] == (0, None)
    assert found[(None, None)] == (3, None)
    assert found[(None, "commune_staff")] == (1, None)
    assert found[(None, "volunteers")] == (1, None)
    assert found[(None, "family_caregivers")] == (1, None)
    assert found[(None, "district_staff")] == (0, None)
    assert found[("981", "volunteers")] == (1, None)


def test_a_commune_reached_twice_counts_once(world: World, programme: None) -> None:
    found = _figures(world, "ACT_COMMUNES_REACHED")
    assert found[("981", None)] == (2, 2)
    assert found[("982", None)] == (1, 1)
    assert found[("98001", None)] == (0, 1)
    assert found[(None, None)] == (3, 4)


def test_sessions_by_unit_and_kind(world: World, programme: None) -> None:
    found = _figures(world, "ACT_SESSIONS", "activity_kind")
    assert found[("981", None)] == (3, None)
    assert found[("982", None)] == (1, None)
    assert found[(None, None)] == (4, None)
    assert found[(None, "session")] == (3, None)
    assert found[(None, "forum")] == (1, None)
    assert found[("981", "forum")] == (1, None)


def test_attendees_by_sex_and_age_group(world: World, programme: None) -> None:
    found = _figures(world, "ACT_ATTENDEES", "sex")
    assert found[("981", None)] == (22, None)
    assert found[("982", None)] == (8, None)
    assert found[(None, None)] == (30, None)
    assert found[(None, "M")] == (14, None)
    assert found[(None, "F")] == (16, None)
    ages = _figures(world, "ACT_ATTENDEES", "age_group")
    assert ages[(None, None)] == (30, None)
    assert ages[(None, "0-17")] == (5, None)
    assert ages[(None, "18-24")] == (10, None)
    assert ages[(None, "25-34")] == (8, None)
    assert ages[("982", "25-34")] == (8, None)
    assert ages[(None, "45+")] == (0, None)


def test_materials_by_unit_and_kind(world: World, programme: None) -> None:
    found = _figures(world, "ACT_MATERIALS", "material")
    assert found[("981", None)] == (152, None)
    assert found[("982", None)] == (20, None)
    assert found[(None, None)] == (172, None)
    assert found[(None, "leaflets")] == (150, None)
    assert found[(None, "posters")] == (2, None)
    assert found[(None, "booklets")] == (20, None)


def test_done_vs_planned_caps_each_line_at_its_quantity(world: World, programme: None) -> None:
    found = _figures(world, "ACT_DONE_VS_PLANNED", "activity_kind")
    assert found[("981", None)] == (2, 2)
    assert found[("982", None)] == (0, 0)
    assert found[(None, None)] == (5, 7)
    assert found[(None, "session")] == (4, 6)
    assert found[(None, "forum")] == (1, 1)


def test_programme_indicators_are_counted_live_never_rolled_up(world: World) -> None:
    """D48: small tables not about people in communes; no staleness trigger is needed."""
    codes = [i.code for g in ("training", "communication") for i in registry.indicators(g)]
    assert len(codes) == 7
    for code in codes:
        indicator = registry.get(code)
        assert indicator.live
        assert not rollup.rolled_up(indicator, H1, D(2027, 1, 1))
    assert rollup.rolled_up(registry.get("TX_COVERAGE"), H1, D(2027, 1, 1))
