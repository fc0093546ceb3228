"""Figure tables: one indicator for one unit, period and breakdown, ready to show or export.

A :class:`Table` has one row per child unit of the unit looked at (or one row: the unit
itself, for a commune), one column per breakdown key (none without a breakdown), the cells
the indicator computed (totals under the key ``None``), the target, and the cells small-cell
suppression hid (``reports.suppression``). The dashboard renders tables; the report writer
(``reports.export``) writes them; neither computes a figure itself.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry
from .registry import Cell, Indicator, Key, Period, Query

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from cases.models import AdministrativeUnit

    from .plans import TargetValue


@dataclass(frozen=True)
class Row:
    """A row: a unit (its id and name, and its code for links)."""

    unit_id: int
    label: str
    code: str = ""


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
    # The tables of the same indicator, unit and period built with this one (by breakdown,
    # this one included): small-cell suppression takes its sibling breakdowns from here
    # before computing any (build_tables).
    family: dict[str | None, Table] = field(default_factory=dict, repr=False, compare=False)
    # The communes counted, each → its row (child_rows), for building the siblings.
    communes: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    # On the old map (D57): the people placed in the communes of that time, for the siblings.
    placed: Mapping[UUID, tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    def cell(self, row: int | None, key: str | None) -> Cell | None:
        """Return the cell at (row, key), or None when the indicator computed none."""
        return self.cells.get((row, key))

    def total(self) -> Cell | None:
        """Return the table's grand total (all rows, all keys)."""
        return self.cells.get((None, None))


# --- periods ---------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period that cannot be reported on: the message says why (translated), ``field``
    names the input most likely wrong ("year", "quarter", "half", "start" or "end")."""

    def __init__(self, message: str, *, field: str = "year") -> None:
        super().__init__(message)
        self.field = field


# A custom period spans at most this many days (three years: the report's longest view).
CUSTOM_MAX_DAYS = 3 * 366
FIRST_YEAR = 2000


def _check_year(year: int) -> None:
    last = timezone.localdate().year + 1
    if not FIRST_YEAR <= year <= last:
        raise PeriodError(
            _("Choose a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": last}
        )


def quarter(year: int, number: int) -> Period:
    """Return quarter ``number`` (1–4) of ``year``."""
    _check_year(year)
    if not 1 <= number <= 4:
        raise PeriodError(_("A quarter is 1, 2, 3 or 4."), field="quarter")
    start = datetime.date(year, 3 * number - 2, 1)
    return Period(start, _month_end(year, 3 * number))


def half_year(year: int, number: int) -> Period:
    """Return half-year ``number`` (1: January–June, 2: July–December) of ``year``."""
    _check_year(year)
    if number not in (1, 2):
        raise PeriodError(_("A half-year is 1 (January–June) or 2 (July–December)."), field="half")
    return Period(datetime.date(year, 6 * number - 5, 1), _month_end(year, 6 * number))


def year(number: int) -> Period:
    """Return the calendar year ``number``."""
    _check_year(number)
    return Period(datetime.date(number, 1, 1), datetime.date(number, 12, 31))


def custom(start: datetime.date, end: datetime.date) -> Period:
    """Return the period from ``start`` to ``end`` (both included), checked."""
    if end < start:
        raise PeriodError(_("The end of the period comes before its start."), field="end")
    if (end - start).days >= CUSTOM_MAX_DAYS:
        raise PeriodError(_("A period is at most three years long."), field="end")
    if start.year < FIRST_YEAR:
        raise PeriodError(
            _("Choose a period from %(first)d on.") % {"first": FIRST_YEAR}, field="start"
        )
    return Period(start, end)


def _month_end(year_: int, month: int) -> datetime.date:
    return datetime.date(year_, month, calendar.monthrange(year_, month)[1])


def quarter_of(day: datetime.date) -> Period:
    """Return the quarter ``day`` falls in."""
    return quarter(day.year, (day.month - 1) // 3 + 1)


def quarters_before(day: datetime.date, count: int) -> list[Period]:
    """Return the ``count`` quarters up to the one ``day`` falls in, oldest first."""
    found: list[Period] = []
    current = quarter_of(day)
    for _n in range(count):
        found.append(current)
        previous = current.start - datetime.timedelta(days=1)
        if previous.year < FIRST_YEAR:
            break
        current = quarter_of(previous)
    return found[::-1]


def period_label(period: Period) -> str:
    """Return a short label: "Q1/2026", "First half of 2026", "2026" or "01/01/2026–15/03/2026"."""
    start, end = period.start, period.end
    whole = start.day == 1 and end == _month_end(end.year, end.month) and start.year == end.year
    if whole and start.month == 1 and end.month == 12:
        return str(start.year)
    if whole and (start.month, end.month) == (1, 6):
        return _("First half of %(year)d") % {"year": start.year}
    if whole and (start.month, end.month) == (7, 12):
        return _("Second half of %(year)d") % {"year": start.year}
    if whole and end.month == start.month + 2 and start.month % 3 == 1:
        return _("Q%(quarter)d/%(year)d") % {"quarter": end.month // 3, "year": start.year}
    return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"


# --- rows: the unit's children ---------------------------------------------------------------


def child_rows(unit: AdministrativeUnit) -> tuple[list[Row], dict[int, int]]:
    """Return the rows of a drill-down of ``unit`` and each commune under it → its row.

    The rows are the unit's children, whatever the tree's shape (province → district →
    commune, or province → commune after the 2025 reform, or both side by side); a commune
    is one row, itself. One query: the children and the communes below, matched by path.
    """
    from cases.choices import UnitLevel
    from cases.models import AdministrativeUnit

    if unit.level == UnitLevel.COMMUNE:
        return [Row(unit.pk, unit.name, unit.code)], {unit.pk: unit.pk}
    found = list(
        # Units in use only: a retired unit (kept after a reorganisation) has no people left,
        # and movers' old units count in their successors (re-based, D57).
        AdministrativeUnit.objects.filter(unit.subtree_q(), is_active=True)
        .filter(Q(parent_id=unit.pk) | Q(level=UnitLevel.COMMUNE))
        .values_list("pk", "name", "code", "path", "parent_id", "level")
        .order_by("path")
    )
    rows = [Row(pk, name, code) for pk, name, code, _p, parent, _l in found if parent == unit.pk]
    by_code = {f"{unit.path}{row.code}/": row.unit_id for row in rows}
    communes: dict[int, int] = {}
    for pk, _name, _code, path, _parent, level in found:
        if level != UnitLevel.COMMUNE:
            continue
        # The child a commune sits under is the path's first segment below the unit's.
        segment = path[len(unit.path) :].split("/", 1)[0]
        row = by_code.get(f"{unit.path}{segment}/")
        if row is not None:
            communes[pk] = row
    return rows, communes


# --- columns ---------------------------------------------------------------------------------


def _labels(breakdown: str) -> dict[str, str | Promise]:
    """The breakdown's keys in display order with their labels, from the registry."""
    try:
        return dict(registry.breakdown(breakdown).columns())
    except KeyError:
        return {}


def columns_of(breakdown: str | None, cells: Mapping[Key, Cell]) -> list[Column]:
    """Return the breakdown's columns: the keys the indicator computed, in a stable order."""
    if breakdown is None:
        return []
    labels = _labels(breakdown)
    keys = {key for (_row, key) in cells if key is not None}
    order = list(labels)
    ordered = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [Column(key, labels.get(key, key)) for key in ordered]


# --- tables ----------------------------------------------------------------------------------


_jit_off: ContextVar[bool] = ContextVar("figures_jit_off", default=False)


@contextmanager
def without_jit() -> Iterator[None]:
    """Run the block with PostgreSQL's JIT off (for the rest of the transaction).

    The indicators' grouped queries with hashed EXISTS probes are priced above the JIT
    thresholds from about 20,000 people on, and compiling them cost 1.6 s of a 1.7 s query
    (bench/figures.py, POSTREHAB_SUPPORT by category); run, they take 0.1 s. Nested blocks
    (a report building many tables) switch it off once.
    """
    if connection.vendor != "postgresql" or _jit_off.get():
        yield
        return
    token = _jit_off.set(True)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            yield
    finally:
        _jit_off.reset(token)


# Targets already read while building several tables: (unit, indicator, year) -> target.
Targets = dict[tuple[int, str, int], Any]


Layout = tuple[list[Row], dict[int, int]]


def build_table(
    indicator: Indicator,
    unit: AdministrativeUnit,
    period: Period,
    breakdown: str | None,
    *,
    targets: Targets | None = None,
) -> Table:
    """Compute one indicator for the children of ``unit`` (see :func:`child_rows`).

    ``targets``, when given, keeps the targets read: a target depends only on the unit, the
    indicator and the year, so a report reads each once, not once per table.
    """
    return build_tables(indicator, unit, period, [breakdown], targets=targets)[breakdown]


def build_tables(
    indicator: Indicator,
    unit: AdministrativeUnit,
    period: Period,
    breakdowns: Sequence[str | None],
    *,
    targets: Targets | None = None,
    layout: Layout | None = None,
    placed: Mapping[UUID, tuple[int, int]] | None = None,
) -> dict[str | None, Table]:
    """Compute one indicator for the children of ``unit`` under several breakdowns at once.

    One grouped query answers every breakdown (``registry.compute_many``); the tables share
    their ``family`` (each other, by breakdown). ``layout``: ``child_rows(unit)`` when the
    caller already has it (a report builds every table of one unit). ``placed``: the people
    counted in the commune given (a period on the old map, ``reports.oldmap``, with its
    layout), counted live.
    """
    wanted = list(dict.fromkeys(breakdowns))
    for breakdown in wanted:
        if breakdown is not None and breakdown not in indicator.breakdowns:
            raise ValueError(f"indicator {indicator.code!r} has no breakdown {breakdown!r}")
    from . import plans

    rows, communes = layout if layout is not None else child_rows(unit)
    with without_jit():
        query = Query(communes, period, None, unit.pk)
        if placed is None:
            found = registry.compute_many(indicator, query, wanted)
        else:
            from .indicators import engine

            with engine.placed(placed):
                found = registry.compute_many(indicator, query, wanted, live=True)
    key = (unit.pk, indicator.code, period.end.year)
    if targets is None or key not in targets:
        target = plans.target_for(unit, indicator.code, period)
        if targets is not None:
            targets[key] = target
    else:
        target = targets[key]
    family: dict[str | None, Table] = {}
    for breakdown in wanted:
        cells = dict(found[breakdown])
        family[breakdown] = Table(
            indicator=indicator,
            unit=unit,
            period=period,
            breakdown=breakdown,
            rows=rows,
            columns=columns_of(breakdown, cells),
            cells=cells,
            target=target,
            family=family,
            communes=communes,
            placed=placed,
        )
    return family
