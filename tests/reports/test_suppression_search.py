"""The quicker search for complementary cells hides exactly the cells the exhaustive one did.

``suppression._next`` tries each candidate once, smallest first, stops at the first that
leaves nothing exposed, and keeps answers per set of hidden cells (docs/indicators.md,
"Speed"). The search as first written, kept here as the reference, tried every candidate of
every exposed cell's equations and kept the best; on random table sets both must choose the
same cells.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from reports import suppression
from reports.suppression import CellId, _determined, _order, _pinned, _usable, hidden_cells
from tests.reports.suppression_support import table, table_set

K = 5
KEYS = ["a", "b", "c", "d", "e"]
TRIED: list[int] = []


def _exhaustive_next(
    system: Any,
    hidden: set[CellId],
    primary: set[CellId],
    k: int,
    determined: list[CellId],
    pinned: list[tuple[CellId, dict[CellId, int]]],
) -> CellId | None:
    """The search as first written (reports/suppression.py at 915f179)."""
    exposing = [eq for eq in system.equations if sum(c in hidden for c in eq) == 1]
    exposing += [eq for _cid, eq in pinned]
    mends: dict[CellId, int] = {}
    for eq in exposing:
        for candidate in _usable(system, eq, hidden):
            mends[candidate] = mends.get(candidate, 0) + 1
    if mends:
        return min(
            mends,
            key=lambda c: (-mends[c], system.cells[c].numerator, c[2] is None, _order(c)),
        )
    best: Any = None
    chosen = None
    for cid in [*determined, *(c for c, _eq in pinned)]:
        for eq in system.equations:
            if cid not in eq:
                continue
            for candidate in _usable(system, eq, hidden):
                TRIED.append(1)
                trial = hidden | {candidate}
                left = len(_determined(system, trial)) or len(_pinned(system, trial, primary, k))
                score = (left, system.cells[candidate].numerator, _order(candidate))
                if best is None or score < best:
                    best, chosen = score, candidate
    return chosen


def _random_set(rng: random.Random) -> list[Any]:
    def value() -> int:
        return rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12])

    rows = rng.randint(5, 9)
    first = {r: [value() for _ in range(5)] for r in range(1, rows + 1)}
    other = {}
    for r, values in first.items():
        cut = rng.randint(0, sum(values))
        rest = sum(values) - cut
        split = rng.randint(0, rest)
        other[r] = [cut, split, rest - split]
    if rng.random() < 0.3:
        return [table(first, breakdown="sex", keys=KEYS)]
    return table_set(first, KEYS, other)


def test_the_quicker_search_hides_the_same_cells_as_trying_every_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each cell chosen, in order, and the cells hidden in the end."""
    rng = random.Random(25)
    sets = [_random_set(rng) for _ in range(120)]

    def run(search: Any) -> tuple[list[set[CellId]], list[CellId | None]]:
        chosen: list[CellId | None] = []

        def recorded(*args: Any) -> CellId | None:
            chosen.append(search(*args))
            return chosen[-1]

        monkeypatch.setattr(suppression, "_next", recorded)
        return [hidden_cells(tables, K) for tables in sets], chosen

    quick = run(suppression._next)
    TRIED.clear()
    exhaustive = run(_exhaustive_next)
    assert TRIED, "no set needed a trial: the comparison would prove nothing"
    assert quick == exhaustive
