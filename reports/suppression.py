"""Small-cell suppression: who sees exact figures, and which cells the others do not see.

Two questions, kept apart:

* **Scope** (:func:`exact_for`, :func:`figures_unit_for`): a viewer sees exact figures for
  the units inside their figures scope (``cases.access.figures_unit``) and suppressed figures
  for the other units of their province; a unit of another province is refused (404 and a
  ``denied`` event). Returned trafficking victims' figures below province level are exact only
  for a viewer whose scope is that unit or above it; an export marked for sharing is always
  suppressed.
* **Cells** (:func:`suppress`): in a set of tables of one indicator, unit and period (one per
  breakdown, and the one without), counts 1..k-1 are hidden ("primary"), then other cells
  ("complementary") until no hidden cell can be worked out from the published row totals,
  column totals, grand total or a sibling breakdown's table, nor pinned by the ranges the
  marks give away ("< k" is 1..k-1, a complementary cell is at least k).

The rule, with examples, is in ``docs/indicators.md`` (small-cell suppression).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import Http404

from cases import access
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit

from .registry import Cell, Indicator, Key
from .tables import Table, Targets, build_tables

DEFAULT_K = 5
# Arithmetic modulo a large prime: the equations have coefficients 0 and ±1, so a rank over
# this field is the rank over the rationals (a coincidence would need a minor divisible by it).
_PRIME = (1 << 61) - 1


def small_cell_k() -> int:
    """Return k: counts 1..k-1 are suppressed (settings.HOA_NHAP_SMALL_CELL_K, default 5)."""
    return int(getattr(settings, "HOA_NHAP_SMALL_CELL_K", DEFAULT_K))


# --- scope ------------------------------------------------------------------------------------


def province_path(unit: AdministrativeUnit) -> str:
    return "/" + unit.path.strip("/").split("/")[0] + "/"


def _inside(unit: AdministrativeUnit, scope: AdministrativeUnit) -> bool:
    return unit.path.startswith(scope.path)


def exact_for(
    viewer: access.AnyUser, unit: AdministrativeUnit, indicator: Indicator, *, sharing: bool
) -> bool:
    """Return whether ``viewer`` sees ``indicator``'s figures of ``unit`` exactly.

    Exact only inside the viewer's figures scope and never in an export for sharing; a
    victims' indicator below province level is exact only when the viewer's scope is that
    very unit (the commune's own officer; a district supervisor for the district's total):
    a province or district supervisor sees a commune's victims' figures suppressed.
    """
    scope = access.figures_unit(viewer)
    if sharing or scope is None or not _inside(unit, scope):
        return False
    if indicator.victims and unit.level != UnitLevel.PROVINCE:
        return unit.pk == scope.pk
    return True


def figures_unit_for(viewer: access.AnyUser, unit_id: Any) -> AdministrativeUnit:
    """Return the unit the viewer asked figures of, if it lies in their province.

    Anything else (another province's unit, an unknown or malformed id, a viewer without
    figures) records a ``denied`` event and raises Http404.
    """
    scope = access.figures_unit(viewer)
    try:
        wanted: int | None = int(str(unit_id))
    except ValueError:  # malformed: denied like any unknown unit, never stored as typed
        wanted = None
    found = None
    if scope is not None and wanted is not None:
        found = AdministrativeUnit.objects.filter(
            pk=wanted, path__startswith=province_path(scope)
        ).first()
    if found is None:
        access.deny(
            viewer,
            "figures.view",
            object_type="administrativeunit",
            object_id=str(wanted if wanted is not None else ""),
            malformed_id=wanted is None,
        )
        raise Http404
    return found


def exact_rows(
    viewer: access.AnyUser,
    rows: Iterable[int],
    indicator: Indicator,
    *,
    sharing: bool,
    units: dict[int, AdministrativeUnit] | None = None,
) -> set[int]:
    """Return the row units (ids) the viewer sees exactly: they stay shown in a suppressed
    table and count as known to the viewer when the other cells are protected.

    ``units``: the row units already read, by id (``protect`` reads them once for all)."""
    ids = list(rows)
    if units is None:
        units = AdministrativeUnit.objects.in_bulk(ids)
    found = [units[pk] for pk in ids if pk in units]
    return {u.pk for u in found if exact_for(viewer, u, indicator, sharing=sharing)}


def protect(
    viewer: access.AnyUser,
    tables: Sequence[Table],
    *,
    sharing: bool,
    k: int | None = None,
    targets: Targets | None = None,
) -> None:
    """Suppress the tables the viewer may not see exactly (grouped by indicator, unit, period).

    ``targets``: the targets the caller already read (``tables.build_table``), reused for the
    sibling tables built here."""
    k = small_cell_k() if k is None else k
    groups: dict[tuple[str, int, Any], list[Table]] = {}
    for table in tables:
        key = (table.indicator.code, table.unit.pk, table.period)
        groups.setdefault(key, []).append(table)
    # One read of the row units for every group (a report holds hundreds of tables).
    units = AdministrativeUnit.objects.in_bulk(
        {row.unit_id for table in tables for row in table.rows}
    )
    for group in groups.values():
        first = group[0]
        rows = {row.unit_id for table in group for row in table.rows}
        known = exact_rows(viewer, rows, first.indicator, sharing=sharing, units=units)
        if exact_for(viewer, first.unit, first.indicator, sharing=sharing):
            # A row that is no unit (the old map's "unassigned", D57) is people of the unit
            # looked at: as exact as its total (victims: hidden, as a commune's would be).
            if not first.indicator.victims:
                known |= {row for row in rows if row not in units}
            if known >= rows:
                continue
            if first.indicator.victims:
                _hide_rows(_with_siblings(group, targets), rows - known)
                continue
        suppress(_with_siblings(group, targets), k, known_rows=known)


def _hide_rows(tables: Sequence[Table], rows: set[int]) -> None:
    """Hide every cell of these rows, zeros and large counts included, keeping the totals.

    A victims' table whose unit the viewer sees exactly (the province for its supervisor)
    keeps its total, which the plan's target is judged on; the units below it are the
    victims' rule's business: small-cell suppression alone would show a "0" beside a "< 5"
    and place the others, so none of them is shown.
    """
    for table in tables:
        keys: list[str | None] = [None, *(column.key for column in table.columns)]
        table.exact = False
        table.suppressed |= {(row, key) for row in rows for key in keys}


def _with_siblings(group: list[Table], targets: Targets | None = None) -> list[Table]:
    """Return the group with a table for every breakdown the indicator offers.

    A viewer can ask for each breakdown in turn; their row totals are the same numbers, so
    a cell hidden in one breakdown must not be recoverable from another's totals. Protecting
    them together hides each total in all of them or in none. The tables added are built
    here and not shown.
    """
    first = group[0]
    have = {table.breakdown for table in group}
    missing = [b for b in (None, *first.indicator.breakdowns) if b not in have]
    # Built with the group's tables already (their family), or now, all in one query.
    family = {b: t for table in group for b, t in table.family.items()}
    extra = [family[b] for b in missing if b in family]
    to_build = [b for b in missing if b not in family]
    if to_build:
        layout = (first.rows, first.communes) if first.communes else None
        built = build_tables(
            first.indicator,
            first.unit,
            first.period,
            to_build,
            targets=targets,
            layout=layout,
            placed=first.placed,
        )
        extra += list(built.values())
    return [*group, *extra]


# --- cells ------------------------------------------------------------------------------------

# A cell of the whole set: (breakdown or "*" for the totals all tables share, row, key).
CellId = tuple[str, int | None, str | None]


@dataclass
class _System:
    cells: dict[CellId, Cell]
    # Each equation: the cells with their sign (parts +1, the total -1); the sum is 0.
    equations: list[dict[CellId, int]]
    known: set[CellId]
    exact: list[dict[CellId, int]] = field(default_factory=list)
    # Each cell's equations among ``exact`` (by position).
    index: dict[CellId, list[int]] = field(default_factory=dict)
    # What _determined and _pinned found for a set of hidden cells (the cell chosen after a
    # trial is hidden next, and the trial's answers are the next round's).
    seen_determined: dict[frozenset[CellId], list[CellId]] = field(default_factory=dict)
    seen_pinned: dict[frozenset[CellId], list[tuple[CellId, dict[CellId, int]]]] = field(
        default_factory=dict
    )


def _cell_id(breakdown: str | None, key: Key) -> CellId:
    row, column = key
    return ("*" if column is None else (breakdown or "*"), row, column)


def _system(tables: Sequence[Table], known_rows: set[int]) -> _System:
    cells: dict[CellId, Cell] = {}
    equations: dict[frozenset[tuple[CellId, int]], dict[CellId, int]] = {}
    for table in tables:
        rows: list[int | None] = [row.unit_id for row in table.rows]
        columns: list[str | None] = [c.key for c in table.columns] if table.breakdown else []
        for row in [*rows, None]:
            for column in [*columns, None]:
                cid = _cell_id(table.breakdown, (row, column))
                # A cell the indicator did not compute is a published zero.
                cells.setdefault(cid, table.cells.get((row, column)) or Cell(0, 0))
        # Rows add up to the column totals (a person is counted in one commune) ...
        for column in [*columns, None]:
            eq = {_cell_id(table.breakdown, (r, column)): 1 for r in rows}
            eq[_cell_id(table.breakdown, (None, column))] = -1
            equations[frozenset(eq.items())] = eq
        # ... and, taken as if they did (a breakdown may count a person twice: assuming it
        # adds up only hides more), the columns add up to the row totals.
        if columns:
            for row in [*rows, None]:
                eq = {_cell_id(table.breakdown, (row, c)): 1 for c in columns}
                eq[_cell_id(table.breakdown, (row, None))] = -1
                equations[frozenset(eq.items())] = eq
    known = {cid for cid in cells if cid[1] is not None and cid[1] in known_rows}
    system = _System(cells, list(equations.values()), known)
    # Only the equations that hold give exact ranges (a breakdown counting a person twice
    # does not add up).
    system.exact = [
        eq for eq in system.equations if sum(s * cells[c].numerator for c, s in eq.items()) == 0
    ]
    for number, eq in enumerate(system.exact):
        for cid in eq:
            system.index.setdefault(cid, []).append(number)
    return system


def _order(cid: CellId) -> tuple[str, bool, int, bool, str]:
    breakdown, row, column = cid
    return (breakdown, row is None, row or 0, column is None, column or "")


def _is_small(cell: Cell, k: int) -> bool:
    return 0 < cell.numerator < k or (cell.denominator is not None and 0 < cell.denominator < k)


def _rref(rows: list[dict[CellId, int]]) -> list[dict[CellId, int]]:
    """Return a reduced row echelon form (mod _PRIME) of sparse rows."""
    basis: list[tuple[CellId, dict[CellId, int]]] = []
    for original in rows:
        row = {c: v % _PRIME for c, v in original.items() if v % _PRIME}
        for pivot, brow in basis:
            factor = row.get(pivot)
            if factor:
                for c, v in brow.items():
                    value = (row.get(c, 0) - factor * v) % _PRIME
                    if value:
                        row[c] = value
                    else:
                        row.pop(c, None)
        if not row:
            continue
        pivot = min(row, key=_order)
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for index, (other_pivot, brow) in enumerate(basis):
            factor = brow.get(pivot)
            if factor:
                for c, v in row.items():
                    value = (brow.get(c, 0) - factor * v) % _PRIME
                    if value:
                        brow[c] = value
                    else:
                        brow.pop(c, None)
                basis[index] = (other_pivot, brow)
        basis.append((pivot, row))
    return [row for _pivot, row in basis]


def _determined(system: _System, hidden: set[CellId]) -> list[CellId]:
    """Return the hidden cells the published cells determine through the equations."""
    restricted = [{c: s for c, s in eq.items() if c in hidden} for eq in system.equations]
    found: list[CellId] = []
    for row in _rref([r for r in restricted if r]):
        if len(row) == 1:
            found.extend(row)
    return sorted(found, key=_order)


def _bounds(
    system: _System, cid: CellId, hidden: set[CellId], primary: set[CellId], k: int
) -> tuple[float, float]:
    # What the viewer knows of a cell's count: its value, 1..k-1 under "< k" (0 when only
    # the denominator was small), at least k under "x".
    if cid not in hidden:
        value = system.cells[cid].numerator
        return value, value
    if cid in primary:
        return (1 if system.cells[cid].numerator > 0 else 0), k - 1
    return k, float("inf")


Bounds = dict[CellId, tuple[float, float]]


def _propagate(
    system: _System, bounds: Bounds, hidden: set[CellId], start: Iterable[int] | None = None
) -> tuple[Bounds, dict[CellId, int]] | None:
    """Narrow the hidden cells' ranges equation by equation until nothing changes; return
    them with the equation (position in ``system.exact``) that last narrowed each, or None
    when no value fits. Starts from the equations ``start`` names (all by default) and
    revisits only the equations of a cell whose range changed."""
    inf = float("inf")
    bounds = dict(bounds)
    narrowed_by: dict[CellId, int] = {}
    queue = deque(range(len(system.exact)) if start is None else start)
    queued = set(queue)
    budget = 200 * (len(system.exact) + 1)
    while queue and budget > 0:
        budget -= 1
        number = queue.popleft()
        queued.discard(number)
        eq = system.exact[number]
        if hidden.isdisjoint(eq):
            continue  # nothing in it to narrow (it still counts against the budget)
        # Each term's smallest and largest value, and their sums (infinite terms counted).
        terms = {}
        low_sum = high_sum = 0.0
        low_inf = high_inf = 0
        for cid, sign in eq.items():
            low, high = bounds[cid]
            least, most = (sign * low, sign * high) if sign > 0 else (sign * high, sign * low)
            terms[cid] = (least, most)
            if least == -inf:
                low_inf += 1
            else:
                low_sum += least
            if most == inf:
                high_inf += 1
            else:
                high_sum += most
        for cid, sign in eq.items():
            if cid not in hidden:
                continue
            least, most = terms[cid]
            others_low = (
                -inf if low_inf - (least == -inf) else low_sum - (0 if least == -inf else least)
            )
            others_high = (
                inf if high_inf - (most == inf) else high_sum - (0 if most == inf else most)
            )
            # sign * x = -(sum of the others).
            low, high = (-others_high, -others_low) if sign > 0 else (others_low, others_high)
            low, high = max(low, bounds[cid][0]), min(high, bounds[cid][1])
            if low > high:
                return None
            if (low, high) != bounds[cid]:
                bounds[cid] = (low, high)
                narrowed_by[cid] = number
                for other in system.index.get(cid, ()):
                    if other not in queued:
                        queue.append(other)
                        queued.add(other)
    return bounds, narrowed_by


def _pinned(
    system: _System, hidden: set[CellId], primary: set[CellId], k: int
) -> list[tuple[CellId, dict[CellId, int]]]:
    """Return hidden cells the viewer can pin to one value from the ranges the marks show.

    The viewer's reasoning: each equation narrows each hidden cell's range from the others'
    ranges, until nothing changes; then each value a small cell might have is tried, and a
    value that leaves no solution is ruled out. Only the equations that hold count.
    """
    bounds = {c: _bounds(system, c, hidden, primary, k) for c in system.cells}
    propagated = _propagate(system, bounds, hidden)
    if propagated is None:  # cannot happen with true figures; nothing more to learn
        return []
    bounds, narrowed_by = propagated

    def where(cid: CellId) -> dict[CellId, int] | None:
        if cid in narrowed_by:
            return system.exact[narrowed_by[cid]]
        numbers = system.index.get(cid)
        return system.exact[numbers[0]] if numbers else None

    found = []
    for cid in sorted(hidden, key=_order):
        eq = where(cid)
        if eq is not None and bounds[cid][0] == bounds[cid][1]:
            found.append((cid, eq))
    if found:
        return found
    for cid in sorted(primary, key=_order):
        low, high = bounds[cid]
        eq = where(cid)
        if eq is None or low == high:
            continue
        fits = 0
        for value in range(int(low), int(high) + 1):
            trial = {**bounds, cid: (value, value)}
            fits += _propagate(system, trial, hidden, system.index.get(cid, ())) is not None
            if fits > 1:
                break
        if fits == 1:
            found.append((cid, eq))
    return found


def _usable(system: _System, cells: Iterable[CellId], hidden: set[CellId]) -> list[CellId]:
    """Return the cells that may be hidden next: not hidden, not known, not zero."""
    return [
        c
        for c in cells
        if c not in hidden and c not in system.known and system.cells[c].numerator > 0
    ]


def hidden_cells(
    tables: Sequence[Table], k: int, known_rows: set[int] | None = None
) -> set[CellId]:
    """Return the cells of the set to hide (see the module docstring)."""
    system = _system(tables, known_rows or set())
    primary = {
        cid for cid, cell in system.cells.items() if cid not in system.known and _is_small(cell, k)
    }
    hidden = set(primary)
    everything = {c for c in system.cells if c not in system.known}
    while True:
        # Cheapest first: an equation with one hidden cell; then cells the equations
        # determine; then cells the ranges pin.
        determined: list[CellId] = []
        pinned: list[tuple[CellId, dict[CellId, int]]] = []
        if not any(sum(c in hidden for c in eq) == 1 for eq in system.equations):
            determined = _determined_once(system, hidden)
            if not determined:
                pinned = _pinned_once(system, hidden, primary, k)
                if not pinned:
                    return hidden
        chosen = _next(system, hidden, primary, k, determined, pinned)
        if chosen is None:
            # Nothing left to hide beside them: hide everything the viewer does not know.
            if everything <= hidden:
                return hidden
            hidden |= everything
            continue
        hidden.add(chosen)


def _determined_once(system: _System, hidden: set[CellId]) -> list[CellId]:
    """Return :func:`_determined`, worked out once per set of hidden cells."""
    key = frozenset(hidden)
    if key not in system.seen_determined:
        system.seen_determined[key] = _determined(system, hidden)
    return system.seen_determined[key]


def _pinned_once(
    system: _System, hidden: set[CellId], primary: set[CellId], k: int
) -> list[tuple[CellId, dict[CellId, int]]]:
    """Return :func:`_pinned`, worked out once per set of hidden cells (``primary`` and
    ``k`` do not change while one set of tables is protected)."""
    key = frozenset(hidden)
    if key not in system.seen_pinned:
        system.seen_pinned[key] = _pinned(system, hidden, primary, k)
    return system.seen_pinned[key]


def _next(
    system: _System,
    hidden: set[CellId],
    primary: set[CellId],
    k: int,
    determined: list[CellId],
    pinned: list[tuple[CellId, dict[CellId, int]]],
) -> CellId | None:
    """Return the cell to hide next, or None when no cell can protect the exposed ones."""
    # An equation with one hidden cell gives it away, one whose ranges pin a cell narrows
    # it to one value: hide another cell of it, the one that mends most such equations at
    # once (the corner of a rectangle), then the smallest.
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
    # Worked out through several equations: the cell of theirs that leaves fewest exposed,
    # then the smallest. Each candidate is tried once, smallest first, so the first that
    # leaves none exposed is the choice and the rest need no trial.
    exposed = set(determined) | {c for c, _eq in pinned}
    candidates: set[CellId] = set()
    for eq in system.equations:
        if not exposed.isdisjoint(eq):
            candidates.update(_usable(system, eq, hidden))
    best: tuple[int, int, tuple[str, bool, int, bool, str]] | None = None
    chosen = None
    for candidate in sorted(candidates, key=lambda c: (system.cells[c].numerator, _order(c))):
        trial = hidden | {candidate}
        left = len(_determined_once(system, trial)) or len(_pinned_once(system, trial, primary, k))
        score = (left, system.cells[candidate].numerator, _order(candidate))
        if best is None or score < best:
            best, chosen = score, candidate
        if left == 0:
            break
    return chosen


def suppress(tables: Sequence[Table], k: int, *, known_rows: set[int] | None = None) -> None:
    """Mark the hidden cells of a set of tables of one indicator, unit and period.

    ``known_rows`` are rows the viewer sees exactly (inside their scope): never hidden, and
    counted as known when protecting the others.
    """
    hidden = hidden_cells(tables, k, known_rows)
    for table in tables:
        table.exact = False
        table.suppressed = {
            (row, column)
            for (breakdown, row, column) in hidden
            if column is None or breakdown == table.breakdown
        }


def mark(cell: Cell | None, k: int) -> str:
    """Return how a hidden cell is shown: "< k" for a small count, "x" for the others."""
    if cell is not None and _is_small(cell, k):
        return f"< {k}"
    return "x"


def figures_units(viewer: access.AnyUser) -> list[AdministrativeUnit]:
    """Return the units of the viewer's province, in tree order (what they may ask about)."""
    scope = access.figures_unit(viewer)
    if scope is None:
        return []
    return list(AdministrativeUnit.objects.filter(path__startswith=province_path(scope)))
