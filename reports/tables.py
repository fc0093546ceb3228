"""Figure tables: one indicator for one unit, period and breakdown, ready to show or export.

A :class:`Table` has one row per child unit of the unit looked at (or one row: the unit
itself, for a commune), one column per breakdown key (none without a breakdown), the cells
the indicator computed (totals under the key ``None``), the target, and the cells small-cell
suppression hid (``reports.suppression``). The dashboard renders tables; the report writer
(``reports.export``) writes them; neither computes a figure itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .registry import Cell, Indicator, Key, Period

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from cases.models import AdministrativeUnit

    from .plans import TargetValue


@dataclass(frozen=True)
class Row:
    """A row: a unit (its id and name)."""

    unit_id: int
    label: str


@dataclass(frozen=True)
class Column:
    """A breakdown column: its key (e.g. "F", "15-24") and its label."""

    key: str
    label: str | Promise


@dataclass
class Table:
    """One indicator for one unit, period and breakdown (see the module docstring)."""

    indicator: Indicator
    unit: AdministrativeUnit
    period: Period
    breakdown: str | None
    rows: list[Row]
    columns: list[Column]
    cells: dict[Key, Cell]
    target: TargetValue | None = None
    # Keys of the cells shown as "< k" (suppressed); empty when the figures are exact.
    suppressed: set[Key] = field(default_factory=set)
    # False once small-cell suppression was applied to the table.
    exact: bool = True

    def cell(self, row: int | None, key: str | None) -> Cell | None:
        """Return the cell at (row, key), or None when the indicator computed none."""
        return self.cells.get((row, key))

    def total(self) -> Cell | None:
        """Return the table's grand total (all rows, all keys)."""
        return self.cells.get((None, None))
