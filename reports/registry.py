"""The indicator registry: each figure the province is judged on, as a definition.

An indicator is a code, a Vietnamese/English name (gettext), a group (one sheet of the
6-monthly report), a kind (a share of people, a count of people, or a median) and a
``compute`` function that answers a :class:`Query` with one :class:`Cell` per row unit and
breakdown key, totals included. Counts are of people, not rows; the precise numerator and
denominator of each indicator are written in ``docs/indicators.md``.

A :class:`Query` names the communes counted, each mapped to the row it is reported under (a
child of the unit being looked at, or that unit itself), so one grouped query answers a whole
drill-down level. Each person is counted in one commune (the rule is in
``docs/indicators.md``), so rows never count a person twice; a breakdown may (a person with
cases in two categories is in both category columns), which is why ``compute`` returns the
totals itself (key ``None``) instead of leaving them to be summed.

Apps register their indicators from ``AppConfig.ready()`` with :func:`register`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from cases.models import Person

Kind = Literal["share", "count", "median"]

# The breakdowns a dashboard or report may ask for; an indicator lists those it supports.
BREAKDOWNS: tuple[str, ...] = ("sex", "age_group", "ethnicity", "category")


@dataclass(frozen=True)
class Period:
    """A reporting period, both ends included."""

    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class Query:
    """What to count: communes (id → row unit id), a period and an optional breakdown.

    ``unit``: the unit looked at (the rows' parent, or the commune itself), when known. An
    indicator of records filed under any unit, not only communes (programme's courses,
    D48), counts the records of that unit itself in the totals only; None: rows alone.
    """

    rows: Mapping[int, int]
    period: Period
    breakdown: str | None = None
    unit: int | None = None


@dataclass(frozen=True)
class Cell:
    """One figure: ``numerator`` people of ``denominator`` (shares), or a count, or a median.

    For a median, ``value`` is the median and ``numerator`` the number of items it is the
    median of (what small-cell suppression looks at).
    """

    numerator: int
    denominator: int | None = None
    value: float | None = None

    @property
    def share(self) -> float | None:
        """Return numerator / denominator, or None when there is no denominator or it is 0."""
        if not self.denominator:
            return None
        return self.numerator / self.denominator


# (row unit id or None for all rows, breakdown key or None for all keys) → cell.
Key = tuple[int | None, str | None]
Result = Mapping[Key, Cell]


@dataclass(frozen=True)
class Group:
    """A group of indicators: one section of the dashboard, one sheet of the report."""

    code: str
    name: str | Promise
    order: int
    # A name of at most 31 characters for the report's sheet (Excel's limit), when the
    # name is longer; empty: the name, cut at a word (``reports.sheets``).
    short_name: str | Promise = ""


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (see the module docstring)."""

    code: str
    name: str | Promise
    group: str
    kind: Kind
    compute: Callable[[Query], Result]
    # The people counted in the numerator of one cell (row None / key None: all), for the
    # "people behind this number" list; None when the indicator has no such list.
    people: Callable[[Query, int | None, str | None], QuerySet[Person]] | None = None
    breakdowns: tuple[str, ...] = BREAKDOWNS
    # Returned trafficking victims' figures: suppressed below province level for viewers
    # outside the commune (docs/indicators.md, small-cell suppression).
    victims: bool = False
    order: int = 0
    # The numerator and denominator in words (the report's definitions sheet); the name
    # stands in when empty. docs/indicators.md holds the full counting rules.
    definition: str | Promise = ""
    # Several breakdowns at once (None: without one), each result equal to what ``compute``
    # gives for it, in fewer queries (one grouped query for all of them); None when the
    # indicator has no faster way than one ``compute`` per breakdown (see compute_many).
    many: Callable[[Query, Sequence[str | None]], Mapping[str | None, Result]] | None = None
    # True when a figure for a period not yet over depends on today's date (e.g. methadone
    # retention: marks up to today); such periods are then never served from the roll-up.
    today: bool = False
    # True: always counted from the records, never rolled up (``reports.rollup``): small
    # tables whose rows are not people in communes (programme's courses and activities,
    # D48), so no staleness trigger is needed on them.
    live: bool = False


def compute_many(
    indicator: Indicator,
    query: Query,
    breakdowns: Sequence[str | None],
    *,
    live: bool = False,
) -> dict[str | None, Result]:
    """Return the indicator's result for each breakdown (None: without one) of ``query``.

    From the reader set by :func:`set_reader` when it can answer (``reports.rollup``: a
    standard period on PostgreSQL; always the same figures as counting live), else through
    ``indicator.many`` when it has one (one grouped query for every breakdown), else one
    ``compute`` per breakdown; ``live``: never from the roll-up. ``query.breakdown`` is
    ignored.
    """
    wanted = list(dict.fromkeys(breakdowns))
    if not live and _readers:
        rolled = _readers[0](indicator, query, wanted)
        if rolled is not None:
            return dict(rolled)
    # People who moved count in their commune of the period's last day (D50).
    with _counting[0](query) as counted:
        if indicator.many is not None:
            found = indicator.many(counted, wanted)
            return {breakdown: found[breakdown] for breakdown in wanted}
        return {
            breakdown: indicator.compute(
                Query(counted.rows, counted.period, breakdown, counted.unit)
            )
            for breakdown in wanted
        }


@contextmanager
def _as_asked(query: Query) -> Iterator[Query]:
    yield query


# What every live count runs within, given the query: it yields the query to compute. The
# indicators' engine sets it (people who moved, D50); the registry knows no engine.
_counting: list[Callable[[Query], AbstractContextManager[Query]]] = [_as_asked]


def set_counting(counting: Callable[[Query], AbstractContextManager[Query]]) -> None:
    """Make every live count run within ``counting(query)`` (the engine's period-end rule)."""
    _counting[:] = [counting]


Reader = Callable[[Indicator, Query, Sequence[str | None]], Mapping[str | None, Result] | None]
_readers: list[Reader] = []


def set_reader(reader: Reader | None) -> None:
    """Make ``reader`` answer :func:`compute_many` first (None from it: count live); None:
    always count live (the benchmark's ``--no-rollup``)."""
    _readers[:] = [reader] if reader is not None else []


@dataclass(frozen=True)
class Breakdown:
    """A breakdown: its code, its name and its keys (the columns) with their labels."""

    code: str
    name: str | Promise
    # The keys in display order; a callable, since some come from data (organisation types).
    columns: Callable[[], list[tuple[str, str | Promise]]]


_groups: dict[str, Group] = {}
_indicators: dict[str, Indicator] = {}
_breakdowns: dict[str, Breakdown] = {}


def register_breakdown(breakdown: Breakdown) -> None:
    """Add a breakdown; registering the same code twice with a different definition is an error."""
    if _breakdowns.get(breakdown.code, breakdown) != breakdown:
        raise ValueError(f"breakdown {breakdown.code!r} is already registered")
    _breakdowns[breakdown.code] = breakdown


def breakdown(code: str) -> Breakdown:
    """Return the breakdown with this code (KeyError when there is none)."""
    return _breakdowns[code]


def breakdown_choices() -> list[tuple[str, str | Promise]]:
    """Return (code, name) of every breakdown a registered indicator offers, in registry order.

    What the figures filters and the report form offer: a breakdown registered later (or
    one only an indicator-specific split uses, such as ``sector``) is offered with it.
    """
    offered = {code for indicator in _indicators.values() for code in indicator.breakdowns}
    return [(b.code, b.name) for b in _breakdowns.values() if b.code in offered]


def breakdown_keys(code: str) -> list[str]:
    """Return the keys of a breakdown, in display order."""
    return [key for key, _label in _breakdowns[code].columns()]


def register_group(group: Group) -> None:
    """Add a group; registering the same code twice with a different definition is an error."""
    if _groups.get(group.code, group) != group:
        raise ValueError(f"indicator group {group.code!r} is already registered")
    _groups[group.code] = group


def register(indicator: Indicator) -> None:
    """Add an indicator; its group must be registered and its code new."""
    if indicator.group not in _groups:
        raise ValueError(f"indicator {indicator.code!r}: unknown group {indicator.group!r}")
    if indicator.code in _indicators and _indicators[indicator.code] != indicator:
        raise ValueError(f"indicator {indicator.code!r} is already registered")
    _indicators[indicator.code] = indicator


def unregister(code: str) -> None:
    """Remove an indicator (tests that register their own)."""
    _indicators.pop(code, None)


def unregister_group(code: str) -> None:
    """Remove a group (tests that register their own)."""
    _groups.pop(code, None)


def groups() -> list[Group]:
    """Return the groups in display order."""
    return sorted(_groups.values(), key=lambda g: (g.order, g.code))


def indicators(group: str | None = None) -> list[Indicator]:
    """Return the indicators (of one group) in display order."""
    found = [i for i in _indicators.values() if group is None or i.group == group]
    return sorted(found, key=lambda i: (_groups[i.group].order, i.order, i.code))


def get(code: str) -> Indicator:
    """Return the indicator with this code (KeyError when there is none)."""
    return _indicators[code]
