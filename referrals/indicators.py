"""Referral indicators for the figures registry (issue 25, item 10), registered from
``ReferralsConfig.ready``: sent, accepted, completed and the median days to acceptance.

The same rules as the referral figures page (``figures.py``: ``ACCEPTED``, ``COMPLETED``,
days from sending to the answer), counted per referral sent in the period, in the commune
where the referred person lives. Definitions in ``docs/indicators.md``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from core.dbfunctions import DaysBetween, Median
from reports import registry
from reports.indicators import engine
from reports.indicators.definitions import PERSON_BREAKDOWNS, Share, indicator
from reports.indicators.engine import Population
from reports.registry import Cell, Indicator, Key, Query, Result

from .figures import ACCEPTED, COMPLETED
from .models import Referral

BREAKDOWNS = (*PERSON_BREAKDOWNS, "category")


def sent(query: Query) -> Population:
    """Referrals sent in the period, of people living in the query's communes."""
    referrals = Referral.objects.filter(
        case__residence_commune_id__any_of=list(query.rows),
        sent_on__range=(query.period.start, query.period.end),
    )
    return Population(
        referrals,
        unit="pk",
        person="case__person__",
        commune="case__residence_commune_id",
        keys={"category": F("case__category")},
    )


def _row_of(query: Query) -> Case:
    """The row of a referral, from its ``g_commune`` (the engine's commune of the person on
    the period's last day, D50); None for a commune outside the query's rows."""
    whens = [
        When(g_commune__in=engine.communes_of(query, row), then=Value(row))
        for row in engine.rows_of(query)
    ]
    return Case(*whens, default=None, output_field=IntegerField())


def _accepted(query: Query, population: Population) -> QuerySet[Referral]:
    """The accepted referrals of the population with their row (those of no row left out)."""
    rows: QuerySet[Referral] = (
        population.rows.filter(ACCEPTED)
        .annotate(g_commune=engine.commune_of(population))
        .annotate(g_row=_row_of(query))
        .filter(g_row__isnull=False)
    )
    return rows


def median_days(query: Query) -> Result:
    """Return the median days to acceptance per row and key, with the totals.

    A median cannot be added up, so each level (row × key, row, key, all) is its own
    grouped query: ``percentile_cont`` on PostgreSQL, Python's median on SQLite (the demo).
    """
    population = sent(query)
    accepted = _accepted(query, population).annotate(
        days=DaysBetween(F("answered_on"), F("sent_on"))
    )
    if query.breakdown:
        accepted = accepted.annotate(g_key=population.key(query.breakdown, query.period))
    levels: list[tuple[str, ...]] = [("g_row",), ()]
    if query.breakdown:
        levels = [("g_row", "g_key"), ("g_row",), ("g_key",), ()]
    cells: dict[Key, Cell] = {}
    keys = registry.breakdown_keys(query.breakdown) if query.breakdown else []
    for row in [*engine.rows_of(query), None]:
        for key in [*keys, None]:
            cells[(row, key)] = Cell(numerator=0, value=None)
    for level in levels:
        for group, (count, median) in _medians(accepted, level).items():
            row = group[level.index("g_row")] if "g_row" in level else None
            key = group[level.index("g_key")] if "g_key" in level else None
            cells[(row, key)] = Cell(numerator=count, value=median)
    return cells


def median_days_many(query: Query, breakdowns: Sequence[str | None]) -> dict[str | None, Result]:
    """Return :func:`median_days` for each breakdown, from one query on PostgreSQL.

    Every level of every breakdown (row × key, key, and the row and overall medians they
    share) is a grouping set of one GROUP BY: each median is the one its own query gives.
    """
    wanted = [b for b in breakdowns if b]
    if connection.vendor != "postgresql":
        return {b: median_days(Query(query.rows, query.period, b)) for b in breakdowns}
    population = sent(query)
    names: dict[str, Any] = {"days": DaysBetween(F("answered_on"), F("sent_on"))}
    columns = {code: f"g_k{n}" for n, code in enumerate(wanted)}
    for code, column in columns.items():
        names[column] = population.key(code, query.period)
    inner = _accepted(query, population).order_by().annotate(**names).values("g_row", *names)
    sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    grouped = ["g_row", *columns.values()]
    sets = ['("g_row")', "()"]
    for column in columns.values():
        sets += [f'("g_row", "{column}")', f'("{column}")']
    listed = ", ".join(f'"{c}"' for c in grouped)
    flags = ", ".join(f'GROUPING("{c}")' for c in grouped)
    # Only fixed names are spliced in; every value is a parameter of the inner query.
    outer = (
        f"SELECT {listed}, {flags}, COUNT(*), "  # noqa: S608  # nosec B608
        f'percentile_cont(0.5) WITHIN GROUP (ORDER BY "days") '
        f'FROM ({sql}) AS "figures" GROUP BY GROUPING SETS ({", ".join(sets)})'
    )
    rows = engine.rows_of(query)
    found: dict[str | None, dict[Key, Cell]] = {}
    for b in breakdowns:
        keys: list[str | None] = [*(registry.breakdown_keys(b) if b else []), None]
        found[b] = {
            (row, key): Cell(numerator=0, value=None) for row in [*rows, None] for key in keys
        }
    width = len(grouped)
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        for line in cursor.fetchall():
            values, flags_ = line[:width], line[width : 2 * width]
            count, median = line[-2], line[-1]
            row = values[0] if flags_[0] == 0 else None
            keyed = [n for n in range(1, width) if flags_[n] == 0]
            cell = Cell(numerator=count, value=median)
            if not keyed:
                for result in found.values():
                    result[(row, None)] = cell
            elif values[keyed[0]] is not None:  # a key never recorded: no column of its own
                found[wanted[keyed[0] - 1]][(row, values[keyed[0]])] = cell
    return {b: cells for b, cells in found.items()}


def _medians(
    rows: QuerySet[Referral], level: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[int, float | None]]:
    if connection.vendor == "postgresql":
        aggregates = {"n": Count("pk"), "median": Median("days")}
        found: Any = (
            rows.order_by().values(*level).annotate(**aggregates)
            if level
            else [rows.aggregate(**aggregates)]
        )
        return {tuple(r[name] for name in level): (r["n"], r["median"]) for r in found}
    days: dict[tuple[Any, ...], list[int]] = {}
    for values in rows.values_list(*level, "days"):
        days.setdefault(tuple(values[:-1]), []).append(values[-1])
    return {group: (len(found), float(statistics.median(found))) for group, found in days.items()}


def median_people(query: Query, row: int | None, key: str | None) -> QuerySet[Person]:
    """Return the people whose accepted referrals the median is taken over."""
    return engine.people_of(query, sent(query), row, key, hit=ACCEPTED)


def _count(code: str, name: Any, order: int, hit: Q | None) -> Indicator:
    return indicator(
        code,
        name,
        "referrals",
        order,
        Share(sent, lambda q: hit, kind="count")
        if hit is not None
        else Share(sent, None, kind="count"),
        breakdowns=BREAKDOWNS,
    )


def register() -> None:
    """Register the referral indicators (group "referrals", registered by reports)."""
    registry.register(_count("REF_SENT", _("Referrals sent"), 10, None))
    registry.register(_count("REF_ACCEPTED", _("Referrals accepted"), 20, ACCEPTED))
    registry.register(_count("REF_COMPLETED", _("Referrals completed"), 30, COMPLETED))
    registry.register(
        Indicator(
            code="REF_MEDIAN_DAYS",
            name=_("Median days from sending to acceptance"),
            group="referrals",
            kind="median",
            compute=median_days,
            people=median_people,
            breakdowns=BREAKDOWNS,
            order=40,
            many=median_days_many,
        )
    )
