"""Small-cell suppression of figure tables: primary, complementary, and the attack on it.

Each table here is small enough for ``attack`` (tests/reports/suppression_support.py) to try
every assignment of the hidden cells that fits the published figures; a hidden cell is
recovered when only one value fits. k = 5 unless said otherwise.
"""

from __future__ import annotations

import random

import pytest

from reports.registry import Cell
from reports.suppression import CellId, hidden_cells, mark, small_cell_k, suppress
from reports.tables import Table
from tests.reports.suppression_support import everything_hidden, recovered, table, table_set

K = 5


def test_counts_one_to_k_minus_one_are_hidden_and_shown_as_less_than_k() -> None:
    t = table({1: [3], 2: [12], 3: [0], 4: [20], 5: [4]})
    suppress([t], K)
    assert (1, None) in t.suppressed and (5, None) in t.suppressed  # 3 and 4
    assert (3, None) not in t.suppressed  # 0 is not a small count
    assert not t.exact
    assert mark(t.cell(1, None), K) == "< 5"


def test_a_single_small_row_gets_a_complementary_row_in_its_column() -> None:
    """Rows 3 + 12 + 20 = 35: hiding only the 3 leaves it as 35 − 12 − 20."""
    t = table({1: [3], 2: [12], 3: [20]})
    assert recovered_if_only_primary(t) == [("*", 1, None)]
    suppress([t], K)
    assert t.suppressed == {(1, None), (2, None)}  # the smallest other row
    assert mark(t.cell(2, None), K) == "x"
    assert recovered([t], K) == []


def recovered_if_only_primary(t: Table) -> list[CellId]:
    """The attack on primary suppression alone (the planted offender the attack must catch)."""
    t.suppressed = {key for key, cell in t.cells.items() if 0 < cell.numerator < K}
    found = recovered([t], K)
    t.suppressed = set()
    return found


def test_complementary_cells_in_rows_and_columns_of_a_breakdown() -> None:
    """One small cell in a 3×3 grid needs a rectangle of four hidden cells."""
    t = table(
        {1: [2, 10, 11], 2: [9, 15, 30], 3: [12, 7, 8]}, breakdown="sex", keys=["F", "M", "X"]
    )
    assert recovered_if_only_primary(t)
    suppress([t], K)
    body = {key for key in t.suppressed if key[0] is not None and key[1] is not None}
    assert len(body) >= 4
    assert len({r for r, _k in body}) >= 2 and len({c for _r, c in body}) >= 2
    assert recovered([t], K) == []


def test_two_small_cells_that_add_up_to_a_published_total_are_not_pinned() -> None:
    """4 + 4 = 8 with both shown as "< 5": each must be 4 unless more is hidden."""
    t = table({1: [4, 4, 20], 2: [10, 9, 30]}, breakdown="sex", keys=["F", "M", "X"])
    suppress([t], K)
    assert recovered([t], K) == []


def test_a_zero_is_never_hidden_and_does_not_give_away_its_neighbour() -> None:
    """Row 1 is 3 and 0: hiding a zero would hide nothing (the viewer guesses it), so the
    complementary cells are found elsewhere; the zero stays shown."""
    t = table({1: [3, 0], 2: [0, 9], 3: [8, 0]}, breakdown="sex", keys=["F", "M"])
    suppress([t], K)
    zeros = [key for key, cell in t.cells.items() if cell.numerator == 0]
    assert zeros and not set(zeros) & t.suppressed
    assert recovered([t], K) == []


def test_a_hidden_cell_is_not_recovered_through_a_sibling_breakdown() -> None:
    """Row 1's total is 3 + 7 by sex and 2 + 8 by age: a row total shown in one table and
    hidden in the other would give the sex cells away; shared totals are hidden in all."""
    tables = table_set({1: [3, 7], 2: [6, 9]}, ["F", "M"], {1: [2, 8], 2: [10, 5]})
    suppress(tables, K)
    totals = [t.suppressed & {(1, None), (2, None), (None, None)} for t in tables]
    assert totals[0] == totals[1] == totals[2]
    assert recovered(tables, K) == []


@pytest.mark.parametrize("seed", [*range(12), 34])
def test_no_hidden_cell_of_a_random_small_table_set_can_be_recovered(seed: int) -> None:
    """Random sets (a plain table, a 2-column and a 3-column breakdown of the same rows;
    seed 34 is nearly all small counts): the attack pins no hidden cell."""
    rng = random.Random(seed)

    def value() -> int:
        return rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 11, 15])

    rows = rng.randint(2, 3)
    first = {r: [value(), value()] for r in range(1, rows + 1)}
    other = {}
    for r, values in first.items():
        cut = rng.randint(0, sum(values))
        rest = sum(values) - cut
        split = rng.randint(0, rest)
        other[r] = [cut, split, rest - split]
    tables = table_set(first, ["F", "M"], other)
    suppress(tables, K)
    assert recovered(tables, K) == []
    if not everything_hidden(tables):  # the last resort hides zeros too, nothing else does
        for t in tables:
            for key in t.suppressed:
                cell = t.cell(*key)
                assert cell is not None and cell.numerator > 0


def test_rows_the_viewer_knows_are_never_hidden_and_count_as_known() -> None:
    """The viewer sees row 1 exactly (their own commune): its 3 stays shown, and the 2 of
    row 2 must not be the total minus what the viewer knows."""
    t = table({1: [3], 2: [2], 3: [30]})
    suppress([t], K, known_rows={1})
    assert (1, None) not in t.suppressed
    assert (2, None) in t.suppressed
    assert recovered([t], K) == []


def test_a_share_is_hidden_when_its_denominator_is_small() -> None:
    t = table({1: [0], 2: [9]})
    t.cells[(1, None)] = Cell(0, 3)
    t.cells[(2, None)] = Cell(9, 20)
    t.cells[(None, None)] = Cell(9, 23)
    hidden = hidden_cells([t], K)
    assert ("*", 1, None) in hidden  # 0 of 3: the 3 people are few enough to recognise


def test_nothing_small_nothing_hidden() -> None:
    t = table({1: [5], 2: [0], 3: [40]})
    suppress([t], K)
    assert t.suppressed == set() and not t.exact


def test_a_wide_table_is_protected_in_reasonable_time() -> None:
    """150 rows by 5 columns (a province's communes by a breakdown): every small cell
    hidden, and no hidden cell alone in a row or column with published totals."""
    rng = random.Random(1)
    values = [0, 1, 2, 3, 5, 8, 13, 20, 40, 80]
    grid = {r: [rng.choice(values) for _ in range(5)] for r in range(1, 151)}
    keys = [f"k{i}" for i in range(5)]
    tables = [
        table({r: [sum(v)] for r, v in grid.items()}),
        table(grid, breakdown="sex", keys=keys),
    ]
    suppress(tables, K)
    wide = tables[1]
    for (row, key), cell in wide.cells.items():
        if 0 < cell.numerator < K:
            assert (row, key) in wide.suppressed
    for row in [*grid, None]:
        line = [(row, c) for c in [*keys, None]]
        assert sum(key in wide.suppressed for key in line) != 1
    for key in [*keys, None]:
        column = [(r, key) for r in [*grid, None]]
        assert sum(c in wide.suppressed for c in column) != 1


def test_k_comes_from_the_settings(settings: object) -> None:
    assert small_cell_k() == 5
    settings.HOA_NHAP_SMALL_CELL_K = 11  # type: ignore[attr-defined]
    assert small_cell_k() == 11
    t = table({1: [10], 2: [30], 3: [40]})
    suppress([t], small_cell_k())
    assert (1, None) in t.suppressed
