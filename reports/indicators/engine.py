"""The machinery every indicator shares: breakdown keys, grouped people counts, cells.

An indicator describes its *population* (the rows that put a unit, usually a person, in the
denominator, already narrowed to the query's communes and period) and a *hit* (the condition
that puts the unit in the numerator). :func:`partition` counts distinct units grouped by
commune and breakdown key, in the database, then adds communes up into the query's rows:
each unit lives in one commune (``docs/indicators.md``, "Where a person is counted"), so
sums over communes never count a unit twice, while totals over keys are counted again by the
database (a person with cases in two categories is in both columns, once in the total).

:func:`split` is the other shape: one denominator per row, and the numerator split by a key
of the records that make the hit (the provider's organisation type, the service), where a
person may again be under several keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Expression,
    ExpressionWrapper,
    F,
    ForeignKey,
    IntegerField,
    Lookup,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.lookups import In

from cases.choices import ETHNIC_GROUPS, ClientCategory, Sex
from cases.models import Person

from .. import registry
from ..registry import Cell, Key, Period, Query, Result

# Age groups: age reached in the year the period ends (only the year of birth is in clear).
# (lowest age, highest age or None, key)
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, None, "45+"),
)
UNKNOWN = "unknown"  # the ethnicity key of a person whose ethnicity was not recorded


def day(value: datetime.date) -> Value:
    """Return a date parameter typed as a date (for GREATEST/LEAST and arithmetic)."""
    return Value(value, output_field=DateField())


def open_during(period: Period, start: str, end: str, prefix: str = "") -> Q:
    """Return rows whose [start, end] (end empty: still open) meets the period."""
    return Q(**{f"{prefix}{start}__lte": period.end}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gte": period.start})
    )


def add_months(value: datetime.date, months: int) -> datetime.date:
    """Return the same day ``months`` later, or that month's last day."""
    from services.regulations import add_months as shift

    return shift(value, months)


def previous(period: Period) -> Period:
    """Return the period of equal length just before ``period``.

    A period of whole months (a quarter, a half-year, a year) is followed back by the same
    number of whole months (H1 2025 → H2 2024); any other by the same number of days.
    """
    end = period.start - datetime.timedelta(days=1)
    after = period.end + datetime.timedelta(days=1)
    if period.start.day == 1 and after.day == 1:
        months = (after.year - period.start.year) * 12 + after.month - period.start.month
        return Period(add_months(period.start, -months), end)
    return Period(end - (period.end - period.start), end)


class AnyOf(Lookup):
    """``column = ANY(%s)``: a list of ids as one array parameter on PostgreSQL.

    A province's communes (hundreds; every commune of the country in a roll-up build) go to
    the server as one parameter, not one ``IN`` parameter each, in every subquery that bounds
    a hit to them; elsewhere (the SQLite demo) it is ``IN``.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::integer[])", (*params, list(self.rhs))


ForeignKey.register_lookup(AnyOf)
IntegerField.register_lookup(AnyOf)


# --- breakdown keys ------------------------------------------------------------------------


def age_group(birth_year: str, year: int) -> Expression:
    """Return the age-group key of a birth-year column for the year ``year``."""
    whens = [
        When(**{f"{birth_year}__gte": year - high}, then=Value(key))
        for _low, high, key in AGE_BANDS
        if high is not None
    ]
    return Case(*whens, default=Value(AGE_BANDS[-1][2]), output_field=CharField())


def person_keys(person: str, period: Period) -> dict[str, Any]:
    """Return the expressions of the person breakdowns, ``person`` the path to the person."""
    ethnicity = f"{person}ethnicity"
    return {
        "sex": F(f"{person}sex"),
        "age_group": age_group(f"{person}birth_year", period.end.year),
        "ethnicity": Case(
            When(**{ethnicity: ""}, then=Value(UNKNOWN)),
            default=F(ethnicity),
            output_field=CharField(),
        ),
    }


def standard_keys() -> dict[str, list[tuple[str, Any]]]:
    """Return the keys of the standard breakdowns with their labels, in display order."""
    from django.utils.translation import gettext_lazy as _

    return {
        "sex": [(str(value), label) for value, label in Sex.choices],
        "age_group": [(key, key) for _low, _high, key in AGE_BANDS],
        "ethnicity": [*ETHNIC_GROUPS, (UNKNOWN, _("Not recorded"))],
        "category": [(str(value), label) for value, label in ClientCategory.choices],
    }


# --- people who moved (D50) -------------------------------------------------------------------

# A person is counted in the commune they lived in on the period's last day. The rows carry
# today's commune (``residence_commune_id``, on the person and copied on the cases), so for
# the few people whose commune on that day differs (``cases.residence.movers_on``) the
# grouping puts them in that day's commune, and the query reaches their rows through their
# commune of today, added to the query under ``OUTSIDE``: a row never shown, whose other
# people are left out.
OUTSIDE = -1
_movers: ContextVar[Mapping[UUID, int] | None] = ContextVar("figures_movers", default=None)
# Set by :func:`placed`: every person's commune for the count, instead of the residence
# history's (a past period on the old map, D57, ``reports.oldmap``).
_placed: ContextVar[Mapping[UUID, tuple[int, int]] | None] = ContextVar(
    "figures_placed", default=None
)


@contextmanager
def placed(people: Mapping[UUID, tuple[int, int]]) -> Iterator[None]:
    """Within the block, count the people given (person → (commune counted, commune today))
    in the commune given, whatever their residence history says."""
    token = _placed.set(people)
    try:
        yield
    finally:
        _placed.reset(token)


@contextmanager
def on_period_end(query: Query) -> Iterator[Query]:
    """Within the block, count people in their commune of the period's last day; yield the
    query to compute (the query's communes, and today's communes of the people who lived in
    one of them then, under ``OUTSIDE``)."""
    from cases.residence import movers_on

    fixed = _placed.get()
    if fixed is not None:
        found = dict(fixed)
    else:
        communes = [c for c in query.rows if c != OUTSIDE]
        found = movers_on(day=query.period.end, communes=communes)
    if not found:
        token = _movers.set(None)
        try:
            yield query
        finally:
            _movers.reset(token)
        return
    rows = dict(query.rows)
    for then, now in found.values():
        if then in query.rows:
            rows.setdefault(now, OUTSIDE)
    token = _movers.set({person: then for person, (then, _now) in found.items()})
    try:
        yield Query(rows, query.period, query.breakdown, query.unit)
    finally:
        _movers.reset(token)


registry.set_counting(on_period_end)


def commune_of(population: Population) -> Any:
    """Return the expression of the commune a population's unit is counted in."""
    column = F(population.commune)
    movers = _movers.get()
    if not movers:
        return column
    person = f"{population.person}id" if population.person else "pk"
    by_commune: dict[int, list[UUID]] = {}
    for person_id, commune in movers.items():
        by_commune.setdefault(commune, []).append(person_id)
    whens = [
        When(**{f"{person}__in": ids}, then=Value(commune))
        for commune, ids in sorted(by_commune.items())
    ]
    return Case(*whens, default=column, output_field=IntegerField())


# --- counting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """The rows that put a unit in an indicator's denominator, for one query."""

    rows: QuerySet[Any]
    # The counted unit (``person_id``, or ``pk`` for rows counted as themselves).
    unit: str
    # The path to the person (``person__``, ``case__person__``; "" for a Person queryset).
    person: str
    # The commune column the unit is counted in.
    commune: str
    # The breakdown keys these rows offer beyond the person's (e.g. category, modality).
    keys: Mapping[str, Any] = field(default_factory=dict)

    def key(self, breakdown: str, period: Period) -> Any:
        """Return the expression of one breakdown's key on these rows."""
        found = {**person_keys(self.person, period), **self.keys}
        if breakdown not in found:
            raise ValueError(f"breakdown {breakdown!r} is not offered here")
        return found[breakdown]

    def person_ids(self) -> QuerySet[Any]:
        """Return the ids of the people of these rows."""
        return self.rows.values(f"{self.person}id" if self.person else "pk")


Tally = dict[tuple[int, str | None], tuple[int, int]]


def tally(population: Population, *, hit: Q | None, key: Any | None) -> Tally:
    """Return (denominator, numerator) units per (commune, key); one grouped query."""
    rows = population.rows.annotate(g_commune=commune_of(population))
    names = ["g_commune"]
    if key is not None:
        rows = rows.annotate(g_key=key)
        names.append("g_key")
    counts: dict[str, Any] = {"den": Count(population.unit, distinct=True)}
    if hit is not None:
        counts["num"] = Count(population.unit, distinct=True, filter=hit)
    found: Tally = {}
    for row in rows.order_by().values(*names).annotate(**counts):
        den = row["den"]
        found[(row["g_commune"], row.get("g_key"))] = (den, row.get("num", den))
    return found


def tally_many(
    population: Population, *, hit: Q | None, keys: Mapping[str, Any]
) -> tuple[Tally, dict[str, Tally]]:
    """Return what :func:`tally` gives without a key and with each of ``keys`` (breakdown →
    key expression), from one query on PostgreSQL.

    The population's rows (commune, unit, hit, every key) are grouped by GROUPING SETS:
    (commune) and (commune, key) for each key, each set counting distinct units as
    :func:`tally` does, so every figure is the one a query per breakdown would give. Other
    databases (the SQLite demo) run :func:`tally` once per key.
    """
    rows = population.rows
    if connections[rows.db].vendor != "postgresql" or not keys:
        alone = tally(population, hit=hit, key=None)
        return alone, {b: tally(population, hit=hit, key=key) for b, key in keys.items()}
    names: dict[str, Any] = {"g_commune": commune_of(population), "g_unit": F(population.unit)}
    if hit is not None:
        names["g_hit"] = ExpressionWrapper(hit, output_field=BooleanField())
    columns = {breakdown: f"g_k{n}" for n, breakdown in enumerate(keys)}
    for breakdown, column in columns.items():
        names[column] = keys[breakdown]
    inner = rows.order_by().annotate(**names).values(*names)
    sql, params = inner.query.get_compiler(using=rows.db).as_sql()
    num = 'COUNT(DISTINCT "g_unit") FILTER (WHERE "g_hit")' if hit is not None else "0"
    listed = ", ".join(f'"{c}"' for c in columns.values())
    flags = ", ".join(f'GROUPING("{c}")' for c in columns.values())
    sets = ", ".join(['("g_commune")', *(f'("g_commune", "{c}")' for c in columns.values())])
    # Only fixed names are spliced in; every value is a parameter of the inner query.
    outer = (
        f'SELECT "g_commune", {listed}, {flags}, COUNT(DISTINCT "g_unit"), {num} '  # noqa: S608  # nosec B608
        f'FROM ({sql}) AS "figures" GROUP BY GROUPING SETS ({sets})'
    )
    by_row: Tally = {}
    by_key: dict[str, Tally] = {breakdown: {} for breakdown in keys}
    width = len(columns)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(outer, params)
        for found in cursor.fetchall():
            commune, values, grouped = found[0], found[1 : 1 + width], found[1 + width : -2]
            den, hits = found[-2], found[-1]
            pair = (den, hits if hit is not None else den)
            ungrouped = [n for n, flag in enumerate(grouped) if flag == 0]
            if not ungrouped:
                by_row[(commune, None)] = pair
            else:
                n = ungrouped[0]
                by_key[list(columns)[n]][(commune, values[n])] = pair
    return by_row, by_key


def rows_of(query: Query) -> list[int]:
    """Return the query's row units, each once, in a stable order (never ``OUTSIDE``)."""
    return sorted(set(query.rows.values()) - {OUTSIDE})


def communes_of(query: Query, row: int | None) -> list[int]:
    """Return the communes counted under one row (None: every row; never ``OUTSIDE``'s)."""
    return [
        commune
        for commune, unit in query.rows.items()
        if unit != OUTSIDE and (row is None or unit == row)
    ]


def _add(cells: dict[Key, list[int]], key: Key, den: int, num: int) -> None:
    total = cells.setdefault(key, [0, 0])
    total[0] += den
    total[1] += num


def _cell(den: int, num: int, kind: str) -> Cell:
    return Cell(numerator=num, denominator=den) if kind == "share" else Cell(numerator=num)


def assemble(
    query: Query,
    *,
    by_key: Tally | None,
    by_row: Tally,
    keys: Iterable[str],
    kind: str,
    split: bool = False,
) -> Result:
    """Return a cell for every (row, key) and the totals, adding communes up into rows.

    ``by_row`` holds each commune's figures over all keys, ``by_key`` each (commune, key)'s.
    With ``split``, a key's denominator is its row's (the numerator alone is split).
    """
    sums: dict[Key, list[int]] = {}
    rows = rows_of(query)
    keys = list(keys) if query.breakdown else []
    for row in [*rows, None]:
        for key in [*keys, None]:
            sums[(row, key)] = [0, 0]
    for (commune, _key), (den, num) in by_row.items():
        row = query.rows.get(commune)
        if row is not None and row != OUTSIDE:
            _add(sums, (row, None), den, num)
            _add(sums, (None, None), den, num)
    for (commune, key), (den, num) in (by_key or {}).items():
        row = query.rows.get(commune)
        if row is None or row == OUTSIDE or key is None:
            continue
        _add(sums, (row, key), den, num)
        _add(sums, (None, key), den, num)
    if split:
        for (row, key), pair in sums.items():
            if key is not None:
                pair[0] = sums[(row, None)][0]
    return {key: _cell(den, num, kind) for key, (den, num) in sums.items()}


def partition(
    query: Query,
    population: Population,
    *,
    hit: Q | None,
    kind: str,
    keys: Callable[[str], list[str]],
) -> Result:
    """Count the population and its hits by row and breakdown key (see the module)."""
    by_row = tally(population, hit=hit, key=None)
    by_key = None
    if query.breakdown:
        by_key = tally(population, hit=hit, key=population.key(query.breakdown, query.period))
    domain = keys(query.breakdown) if query.breakdown else []
    return assemble(query, by_key=by_key, by_row=by_row, keys=domain, kind=kind)


def partition_many(
    query: Query,
    population: Population,
    *,
    hit: Q | None,
    kind: str,
    keys: Callable[[str], list[str]],
    breakdowns: Sequence[str | None],
) -> dict[str | None, Result]:
    """Return :func:`partition`'s result for each breakdown, from one grouped query."""
    wanted = [b for b in breakdowns if b]
    exprs = {b: population.key(b, query.period) for b in wanted}
    by_row, by_key = tally_many(population, hit=hit, keys=exprs)
    return {
        b: assemble(
            Query(query.rows, query.period, b),
            by_key=by_key.get(b) if b else None,
            by_row=by_row,
            keys=keys(b) if b else [],
            kind=kind,
        )
        for b in breakdowns
    }


def split(
    query: Query,
    population: Population,
    *,
    hit: Q,
    hits: Callable[[str], Mapping[str, Q]],
) -> Result:
    """Count the population and its hits by row, and the hits of each key (one query).

    ``hits(breakdown)`` gives, per key, the condition that puts a unit under that key (e.g.
    treated by a provider of that type); a unit may meet several.
    """
    conditions = dict(hits(query.breakdown)) if query.breakdown else {}
    counts: dict[str, Any] = {
        "den": Count(population.unit, distinct=True),
        "num": Count(population.unit, distinct=True, filter=hit),
    }
    for n, condition in enumerate(conditions.values()):
        counts[f"k{n}"] = Count(population.unit, distinct=True, filter=condition)
    rows = population.rows.annotate(g_commune=commune_of(population))
    by_row: Tally = {}
    by_key: Tally = {}
    for row in rows.order_by().values("g_commune").annotate(**counts):
        by_row[(row["g_commune"], None)] = (row["den"], row["num"])
        for n, key in enumerate(conditions):
            by_key[(row["g_commune"], key)] = (0, row[f"k{n}"])
    return assemble(
        query, by_key=by_key, by_row=by_row, keys=list(conditions), kind="share", split=True
    )


def split_records(
    query: Query,
    population: Population,
    *,
    hit: Q,
    records: Population,
    keys: Callable[[str], list[str]],
) -> Result:
    """Count the population and its hits by row; split the hits by a key of their records.

    ``records`` are the records that make the hit (e.g. the episodes of the population's
    people in the period), with the breakdown's key; each key counts the distinct units of
    its records, in one grouped query, whatever the number of keys.
    """
    by_row = tally(population, hit=hit, key=None)
    by_key = None
    if query.breakdown:
        found = tally(records, hit=None, key=records.key(query.breakdown, query.period))
        by_key = {group: (0, count) for group, (count, _same) in found.items()}
    domain = keys(query.breakdown) if query.breakdown else []
    return assemble(query, by_key=by_key, by_row=by_row, keys=domain, kind="share", split=True)


def split_records_many(
    query: Query,
    population: Population,
    *,
    hit: Q,
    records: Population,
    keys: Callable[[str], list[str]],
    breakdowns: Sequence[str | None],
) -> dict[str | None, Result]:
    """Return :func:`split_records`' result for each breakdown: two grouped queries."""
    by_row = tally(population, hit=hit, key=None)
    wanted = [b for b in breakdowns if b]
    by_key: dict[str, Tally] = {}
    if wanted:
        exprs = {b: records.key(b, query.period) for b in wanted}
        _rows, found = tally_many(records, hit=None, keys=exprs)
        by_key = {
            b: {group: (0, count) for group, (count, _same) in tally_.items()}
            for b, tally_ in found.items()
        }
    return {
        b: assemble(
            Query(query.rows, query.period, b),
            by_key=by_key.get(b) if b else None,
            by_row=by_row,
            keys=keys(b) if b else [],
            kind="share",
            split=True,
        )
        for b in breakdowns
    }


def people_of(
    query: Query,
    population: Population,
    row: int | None,
    key: str | None,
    *,
    hit: Q | None,
    hits: Callable[[str], Mapping[str, Q]] | None = None,
) -> QuerySet[Person]:
    """Return the people counted in the numerator of one cell."""
    if _movers.get():
        rows = population.rows.annotate(g_commune=commune_of(population)).filter(
            g_commune__in=communes_of(query, row)
        )
    else:
        rows = population.rows.filter(**{f"{population.commune}__any_of": communes_of(query, row)})
    if hit is not None:
        rows = rows.filter(hit)
    if key is not None and query.breakdown and hits is not None:
        rows = rows.filter(hits(query.breakdown)[key])
    elif key is not None and query.breakdown:
        rows = rows.annotate(g_key=population.key(query.breakdown, query.period)).filter(g_key=key)
    ids = rows.values(f"{population.person}id" if population.person else "pk")
    return Person.objects.filter(pk__in=ids)
