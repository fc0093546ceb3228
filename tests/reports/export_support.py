"""Test indicators for the report and suppression tests, registered only while a test runs.

The real definitions live in reports/indicators/; these compute fixed figures per row unit
(by unit code) so the expected cells are known here. Province 98's rows are districts 981
and 982 and commune 98001:

  TEST_COUNT (group "test_a"): 981 → 3 (F 1, M 2); 982 → 12 (F 5, M 7); 98001 → 20 (F 10, M 10)
  TEST_SHARE (group "test_a"): 981 → 2 of 10; 982 → 8 of 12; 98001 → 15 of 20
  TEST_VICTIMS (group "test_b", victims): 981 → 2; 982 → 9; 98001 → 30
A row whose code is not listed counts 0.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cases.models import AdministrativeUnit
from reports import registry
from reports.registry import Cell, Group, Indicator, Query, Result

COUNTS = {"981": (1, 2), "982": (5, 7), "98001": (10, 10), "98101": (1, 1), "98102": (0, 1)}
SHARES = {"981": (2, 10), "982": (8, 12), "98001": (15, 20), "98101": (1, 4), "98102": (1, 6)}
VICTIMS = {"981": 2, "982": 9, "98001": 30, "98101": 1, "98102": 1}


def _codes(query: Query) -> dict[int, str]:
    rows = set(query.rows.values())
    return dict(AdministrativeUnit.objects.filter(pk__in=rows).values_list("pk", "code"))


def _count(query: Query) -> Result:
    cells: dict[tuple[int | None, str | None], Cell] = {}
    totals = {"F": 0, "M": 0}
    for pk, code in _codes(query).items():
        f, m = COUNTS.get(code, (0, 0))
        cells[(pk, None)] = Cell(f + m)
        if query.breakdown == "sex":
            cells[(pk, "F")], cells[(pk, "M")] = Cell(f), Cell(m)
        totals["F"] += f
        totals["M"] += m
    cells[(None, None)] = Cell(totals["F"] + totals["M"])
    if query.breakdown == "sex":
        cells[(None, "F")], cells[(None, "M")] = Cell(totals["F"]), Cell(totals["M"])
    return cells


def _share(query: Query) -> Result:
    cells: dict[tuple[int | None, str | None], Cell] = {}
    num = den = 0
    for pk, code in _codes(query).items():
        n, d = SHARES.get(code, (0, 0))
        cells[(pk, None)] = Cell(n, d)
        num, den = num + n, den + d
    cells[(None, None)] = Cell(num, den)
    return cells


def _victims(query: Query) -> Result:
    cells: dict[tuple[int | None, str | None], Cell] = {}
    for pk, code in _codes(query).items():
        cells[(pk, None)] = Cell(VICTIMS.get(code, 0))
    cells[(None, None)] = Cell(sum(c.numerator for c in cells.values()))
    return cells


COUNT = Indicator(
    code="TEST_COUNT",
    name="=SUM(A1:A9) people",
    group="test_a",
    kind="count",
    compute=_count,
    breakdowns=("sex",),
    definition="@people counted",
)
SHARE = Indicator(
    code="TEST_SHARE",
    name="Test share",
    group="test_a",
    kind="share",
    compute=_share,
    breakdowns=(),
    order=1,
)
VICTIMS_INDICATOR = Indicator(
    code="TEST_VICTIMS",
    name="Test victims",
    group="test_b",
    kind="count",
    compute=_victims,
    breakdowns=(),
    victims=True,
)


@pytest.fixture
def test_indicators() -> Iterator[list[Indicator]]:
    """Register only the test indicators (the real ones are set aside, then put back)."""
    saved_groups, saved = dict(registry._groups), dict(registry._indicators)
    registry._groups.clear()
    registry._indicators.clear()
    registry.register_group(Group("test_a", "Nhóm A", 1))
    registry.register_group(Group("test_b", "Nhóm B", 2))
    for indicator in (COUNT, SHARE, VICTIMS_INDICATOR):
        registry.register(indicator)
    yield [COUNT, SHARE, VICTIMS_INDICATOR]
    registry._groups.clear()
    registry._indicators.clear()
    registry._groups.update(saved_groups)
    registry._indicators.update(saved)
