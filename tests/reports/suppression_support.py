"""Build figure tables by hand and attack their suppression (for the suppression tests).

``attack`` is the viewer's side: it knows every published count, reads "< k" as 1..k-1 and
"x" as at least k, knows that rows add up to column totals and breakdown columns to row
totals, and searches every assignment of the hidden cells that fits. A hidden cell is
recovered when every fitting assignment gives it the same value.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from cases.models import AdministrativeUnit
from reports.registry import Cell, Indicator, Period, Query, Result
from reports.suppression import CellId, mark
from reports.tables import Column, Row, Table

PERIOD = Period(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))
UNIT = AdministrativeUnit(pk=1, code="98", name="Tỉnh", level="province", path="/98/")


def _no_compute(query: Query) -> Result:
    return {}


def indicator(*, code: str = "TEST_COUNT", victims: bool = False) -> Indicator:
    return Indicator(
        code=code, name=code, group="test", kind="count", compute=_no_compute, victims=victims
    )


def table(
    grid: Mapping[int, Sequence[int]],
    *,
    breakdown: str | None = None,
    keys: Sequence[str] = (),
    ind: Indicator | None = None,
) -> Table:
    """Return a table whose rows are ``grid``'s keys; totals are summed here."""
    cells: dict[tuple[int | None, str | None], Cell] = {}
    for row, values in grid.items():
        if breakdown:
            for key, value in zip(keys, values, strict=True):
                cells[(row, key)] = Cell(value)
        cells[(row, None)] = Cell(sum(values))
    if breakdown:
        for index, key in enumerate(keys):
            cells[(None, key)] = Cell(sum(values[index] for values in grid.values()))
    cells[(None, None)] = Cell(sum(sum(values) for values in grid.values()))
    return Table(
        indicator=ind or indicator(),
        unit=UNIT,
        period=PERIOD,
        breakdown=breakdown,
        rows=[Row(r, f"row {r}") for r in grid],
        columns=[Column(k, k) for k in keys],
        cells=cells,
    )


def table_set(
    grid: Mapping[int, Sequence[int]], keys: Sequence[str], other: Mapping[int, Sequence[int]]
) -> list[Table]:
    """Return the no-breakdown table and two breakdowns of the same row totals."""
    plain = table({r: [sum(v)] for r, v in grid.items()})
    first = table(grid, breakdown="sex", keys=keys)
    second_keys = [f"a{i}" for i in range(len(next(iter(other.values()))))]
    second = table(other, breakdown="age_group", keys=second_keys)
    return [plain, first, second]


def _cell_id(t: Table, key: tuple[int | None, str | None]) -> CellId:
    row, column = key
    return ("*" if column is None else (t.breakdown or "*"), row, column)


def attack(tables: Sequence[Table], k: int, cap: int | None = None) -> dict[CellId, set[int]]:
    """Return the values each hidden cell can take given what the tables publish.

    Only a cell with a single possible value is recovered; the search stops collecting a
    cell's values once it has two.
    """
    if cap is None:  # the viewer's guess of the largest count: twice the largest there is
        cap = 2 * max((c.numerator for t in tables for c in t.cells.values()), default=0) + k
    published: dict[CellId, int] = {}
    domains: dict[CellId, range] = {}
    equations: list[dict[CellId, int]] = []
    for t in tables:
        rows: list[int | None] = [r.unit_id for r in t.rows]
        columns: list[str | None] = [c.key for c in t.columns] if t.breakdown else []
        for row in [*rows, None]:
            for column in [*columns, None]:
                cid = _cell_id(t, (row, column))
                cell = t.cells.get((row, column)) or Cell(0)
                if (row, column) in t.suppressed:
                    shown = mark(cell, k)
                    domains[cid] = range(1, k) if shown == f"< {k}" else range(k, cap + 1)
                    if shown == "x" and everything_hidden(tables):
                        domains[cid] = range(0, cap + 1)  # "x" may be a 0 only then
                else:
                    published[cid] = cell.numerator
        for column in [*columns, None]:
            eq = {_cell_id(t, (r, column)): 1 for r in rows}
            eq[_cell_id(t, (None, column))] = -1
            equations.append(eq)
        if columns:
            for row in [*rows, None]:
                eq = {_cell_id(t, (row, c)): 1 for c in columns}
                eq[_cell_id(t, (row, None))] = -1
                equations.append(eq)
    for cid in domains:
        published.pop(cid, None)  # shared totals: hidden in one table means hidden
    if not published:  # nothing shown: each hidden cell may be any of its many values
        return {cid: set(domain[:2]) for cid, domain in domains.items()}
    order = sorted(domains, key=lambda c: len(domains[c]))

    def consistent(values: dict[CellId, int]) -> bool:
        for eq in equations:
            unknown = [c for c in eq if c not in values and c not in published]
            total = sum(
                s * (values[c] if c in values else published[c])
                for c, s in eq.items()
                if c in values or c in published
            )
            low = sum(
                s * (domains[c].start if s > 0 else domains[c].stop - 1)
                for c in unknown
                for s in [eq[c]]
            )
            high = sum(
                s * (domains[c].stop - 1 if s > 0 else domains[c].start)
                for c in unknown
                for s in [eq[c]]
            )
            if not low <= -total <= high:
                return False
        return True

    def solve(index: int, values: dict[CellId, int]) -> dict[CellId, int] | None:
        if index == len(order):
            return dict(values)
        cid = order[index]
        if cid in values:
            return solve(index + 1, values)
        for value in domains[cid]:
            values[cid] = value
            if consistent(values):
                found = solve(index + 1, values)
                if found is not None:
                    del values[cid]
                    return found
            del values[cid]
        return None

    first = solve(0, {})
    assert first is not None, "the published figures admit no solution"
    seen: dict[CellId, set[int]] = {cid: {first[cid]} for cid in domains}
    for cid in domains:
        for value in domains[cid]:
            if len(seen[cid]) >= 2:
                break
            if value in seen[cid] or not consistent({cid: value}):
                continue
            other = solve(0, {cid: value})
            if other is not None:
                for c, v in other.items():
                    seen[c].add(v)
    return seen


def everything_hidden(tables: Sequence[Table]) -> bool:
    """Return whether suppression fell back to hiding every cell (zeros included)."""
    return all(set(t.cells) <= t.suppressed for t in tables)


def recovered(tables: Sequence[Table], k: int) -> list[CellId]:
    """Return the hidden cells the attack pins to one value."""
    return sorted((c for c, v in attack(tables, k).items() if len(v) < 2), key=str)
