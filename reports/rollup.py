"""The roll-up of the coverage figures (decision D37): per-commune cells, read when fresh.

Every figure adds up over communes (a person is counted in one commune, the commune of
residence: ``docs/indicators.md``), so :class:`~reports.models.FigureCell` keeps each
commune's numerator and denominator for every indicator, standard period (quarter,
half-year, year), breakdown and key, and any row of any drill-down is a sum of them.

Staleness cannot be missed by a write path: a database trigger on every table an indicator
reads inserts a :class:`~reports.models.FigureStale` marker for the communes a write
touches, in the write's transaction (forms, admin, the bulk dose path, COPY and imports
alike; a person who moves marks both communes; a change to a catalogue, organisation or
organisation type marks every commune). :func:`answer` adds the fresh communes' cells and
counts the stale communes live (one statement reads the markers and the cells, so both are
of one snapshot): an answer is exact and current. With a lag allowed (:func:`max_lag`), a
commune marked less than that long ago is read from its cells as they are, and
:func:`watch` tells the page since when its figures may leave out writes. :func:`refresh`
recomputes the stale communes and deletes only the markers it read, so a write committed
while it runs stays marked.

Not rolled up, always live: median indicators (a median does not add up), indicators marked
``live`` (small tables not about people in communes: programme, D48), custom periods,
the people behind a number, the SQLite demo, and a period not yet over for an indicator whose
figure depends on today's date (``Indicator.today``: methadone retention and adherence).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from . import registry
from .registry import Cell, Indicator, Key, Period, Query, Result

# The advisory lock a refresh or build holds (one at a time: they replace the same cells).
LOCK = 250_037
# The years rolled up: this one and the two before (what the plans' dashboards and the
# 6-monthly report look at); earlier years are counted live. Each year is 7 standard
# periods, each a grouped query per indicator in a build and in every refresh.
YEARS = 3


def enabled() -> bool:
    """Return whether the roll-up is used at all (PostgreSQL only: the demo stays live)."""
    return connection.vendor == "postgresql"


def standard(period: Period) -> bool:
    """Return whether ``period`` is a quarter, a half-year or a calendar year."""
    start, end = period.start, period.end
    if start.day != 1 or start.year != end.year:
        return False
    after = end + datetime.timedelta(days=1)
    if after.day != 1:
        return False
    months = (after.year - start.year) * 12 + after.month - start.month
    return (months, (start.month - 1) % months) in ((3, 0), (6, 0), (12, 0))


def periods_of(year: int) -> list[Period]:
    """Return the standard periods of ``year``: its quarters, half-years and the year."""
    from . import tables

    found = [tables.quarter(year, n) for n in range(1, 5)]
    found += [tables.half_year(year, n) for n in (1, 2)]
    return [*found, tables.year(year)]


def rolled_up(indicator: Indicator, period: Period, today: datetime.date | None = None) -> bool:
    """Return whether this indicator's figures for ``period`` may come from the roll-up."""
    if indicator.live or indicator.kind == "median" or not standard(period):
        return False
    return not (indicator.today and period.end >= (today or timezone.localdate()))


def max_lag() -> int:
    """Return how many seconds a figure may leave out the newest writes (0: none).

    ``HOA_NHAP_FIGURES_MAX_LAG`` (D37). With 0 every answer is exact and current, and a
    reader pays for the communes written since the last refresh by counting them live; a
    busy province (every commune written between two refreshes) sets a lag a little over
    the refresh's duration, and its pages say up to when the figures are complete.
    """
    return int(getattr(settings, "FIGURES_MAX_LAG_S", 0))


@dataclass
class Behind:
    """The oldest write a block's figures may leave out (None: they left out nothing)."""

    since: datetime.datetime | None = None


_watching: ContextVar[Behind | None] = ContextVar("figures_behind", default=None)


@contextmanager
def watch() -> Iterator[Behind]:
    """Collect, for the block, since when its figures may leave out writes (a lag allowed)."""
    behind = Behind()
    token = _watching.set(behind)
    try:
        yield behind
    finally:
        _watching.reset(token)


def _note_behind(since: datetime.datetime | None) -> None:
    behind = _watching.get()
    if behind is not None and since is not None:
        behind.since = since if behind.since is None else min(behind.since, since)


def live_many(
    indicator: Indicator, query: Query, breakdowns: Sequence[str | None]
) -> dict[str | None, Result]:
    """Count the indicator from the records (``registry.compute_many`` without the roll-up;
    ``ReportsConfig.ready`` makes :func:`answer` the registry's reader)."""
    return registry.compute_many(indicator, query, breakdowns, live=True)


# --- reading -------------------------------------------------------------------------------------

_READ = """
WITH "stale" AS (
    SELECT DISTINCT "commune_id" FROM "reports_figurestale"
    WHERE ("commune_id" = ANY(%(communes)s){older}) OR "commune_id" IS NULL
)
SELECT 'b', NULL::integer, NULL, "breakdowns", NULL::boolean, NULL::bigint, NULL::bigint
FROM "reports_figurebuild"
WHERE "indicator" = %(code)s AND "period_start" = %(start)s AND "period_end" = %(end)s
UNION ALL
SELECT 'a', NULL, NULL, NULL, NULL, NULL, NULL
WHERE EXISTS (SELECT 1 FROM "reports_figurebuild")
UNION ALL
SELECT 's', "commune_id", NULL, NULL, NULL, NULL, NULL FROM "stale"
UNION ALL
SELECT 'c', "m"."row_id", "c"."breakdown", "c"."key", "c"."total", SUM("c"."numerator"),
       SUM("c"."denominator")
FROM "reports_figurecell" AS "c"
JOIN unnest(%(communes)s::integer[], %(rows)s::integer[]) AS "m"("commune", "row_id")
  ON "m"."commune" = "c"."commune_id"
WHERE "c"."indicator" = %(code)s AND "c"."period_start" = %(start)s
  AND "c"."period_end" = %(end)s AND "c"."breakdown" = ANY(%(breakdowns)s)
  AND NOT EXISTS (SELECT 1 FROM "stale" WHERE "stale"."commune_id" = "c"."commune_id")
GROUP BY "m"."row_id", "c"."breakdown", "c"."key", "c"."total"
"""


def answer(
    indicator: Indicator, query: Query, breakdowns: Sequence[str | None]
) -> dict[str | None, Result] | None:
    """Return what ``registry.compute_many`` would, from the roll-up and the stale communes
    counted live; None when the roll-up cannot answer (the caller counts live)."""
    if not enabled() or not query.rows or not rolled_up(indicator, query.period):
        return None
    communes = list(query.rows)
    lag = max_lag()
    # With a lag allowed, a commune marked less than ``lag`` seconds ago is read from its
    # cells as they are (the refresh brings it up to date); only older markers are counted
    # live. Without one, every marked commune is counted live.
    older = ' AND "marked_at" < now() - make_interval(secs => %(lag)s)' if lag else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _READ.replace("{older}", older),
            {
                "communes": communes,
                "rows": [query.rows[c] for c in communes],
                "code": indicator.code,
                "start": query.period.start,
                "end": query.period.end,
                "breakdowns": [b or "" for b in breakdowns],
                "lag": lag,
            },
        )
        found = cursor.fetchall()
        if lag and all(line[0] != "s" or line[1] is not None for line in found):
            cursor.execute(
                'SELECT min("marked_at") FROM "reports_figurestale" '
                'WHERE "commune_id" = ANY(%s) AND "marked_at" >= now() - make_interval(secs => %s)',
                [communes, lag],
            )
            row = cursor.fetchone()
            _note_behind(row[0] if row else None)
    built = [line[3] for line in found if line[0] == "b"]
    if not built or not {b or "" for b in breakdowns} <= set(built[0].split(",")):
        # Never built (a period just over, a new indicator or breakdown): live until a
        # refresh builds it; asked for here when this installation uses the roll-up at all.
        if any(line[0] == "a" for line in found):
            _ask_refresh()
        return None
    stale = {line[1] for line in found if line[0] == "s"}
    if None in stale:
        return None  # every commune is stale (a catalogue changed): live until refreshed
    sums: dict[str, dict[Key, list[int]]] = {}
    for kind, row, breakdown, key, total, num, den in found:
        if kind == "c":
            sums.setdefault(breakdown, {})[(row, None if total else key)] = [int(num), int(den)]
    live: dict[str | None, Result] = {}
    if stale:
        subset = {c: query.rows[c] for c in communes if c in stale}
        live = live_many(indicator, Query(subset, query.period, None), breakdowns)
        _ask_refresh()
    return {
        b: _assemble(indicator, query, b, sums.get(b or "", {}), live.get(b, {}))
        for b in dict.fromkeys(breakdowns)
    }


def _assemble(
    indicator: Indicator,
    query: Query,
    breakdown: str | None,
    rolled: Mapping[Key, list[int]],
    live: Result,
) -> Result:
    """Add the rows' rolled-up sums and the stale communes' live cells, as ``engine.assemble``
    lays them out: every row × key of the breakdown and the totals, zeros included."""
    keys = registry.breakdown_keys(breakdown) if breakdown else []
    rows = sorted(set(query.rows.values()))
    sums: dict[Key, list[int]] = {
        (row, key): [0, 0] for row in [*rows, None] for key in [*keys, None]
    }

    def add(at: Key, num: int, den: int) -> None:
        pair = sums.setdefault(at, [0, 0])
        pair[0] += num
        pair[1] += den

    for (row, key), (num, den) in rolled.items():
        add((row, key), num, den)
        add((None, key), num, den)
    for (row, key), cell in live.items():
        add((row, key), cell.numerator, _den(cell))
    if indicator.kind == "share":
        return {at: Cell(numerator=num, denominator=den) for at, (num, den) in sums.items()}
    return {at: Cell(numerator=num) for at, (num, _den_) in sums.items()}


def _den(cell: Cell) -> int:
    return cell.denominator if cell.denominator is not None else cell.numerator


_asked = [0.0]


def _ask_refresh() -> None:
    """Queue a refresh (at most once a minute per process): a reader found stale communes."""
    now = time.monotonic()
    if _asked[0] and now - _asked[0] < 60:
        return
    _asked[0] = now
    transaction.on_commit(refresh_figures.enqueue)


# --- building and refreshing -------------------------------------------------------------------


Cells = list[tuple[int, str, str, bool, int, int]]


def commune_cells(indicator: Indicator, period: Period, communes: Iterable[int]) -> Cells:
    """Return (commune, breakdown, key, total, numerator, denominator) of every non-zero
    cell of these communes, counted live (each commune its own row)."""
    rows = {c: c for c in communes}
    if not rows:
        return []
    found = live_many(indicator, Query(rows, period, None), [None, *indicator.breakdowns])
    cells: Cells = []
    for breakdown, result in found.items():
        for (row, key), cell in result.items():
            if row is None:
                continue
            num, den = cell.numerator, _den(cell)
            if num or den:
                total = key is None
                cells.append((row, breakdown or "", "" if total else str(key), total, num, den))
    return cells


_WRITE = """
INSERT INTO "reports_figurecell"
    ("indicator", "period_start", "period_end", "commune_id", "breakdown", "key", "total",
     "numerator", "denominator", "refreshed_at")
SELECT %s, %s, %s, "c", "b", "k", "t", "n", "d", %s
FROM unnest(%s::integer[], %s::text[], %s::text[], %s::boolean[], %s::bigint[], %s::bigint[])
    AS "cells"("c", "b", "k", "t", "n", "d")
"""


def _write(
    cursor: Any,
    indicator: Indicator,
    period: Period,
    cells: Cells,
    now: datetime.datetime,
) -> None:
    if not cells:
        return
    columns = list(zip(*cells, strict=True))
    cursor.execute(
        _WRITE,
        [indicator.code, period.start, period.end, now, *(list(column) for column in columns)],
    )


def data_years(today: datetime.date | None = None) -> list[int]:
    """Return the years rolled up: the last :data:`YEARS` up to now, from the first year of
    any case or episode on."""
    from .indicators.definitions import first_year

    today = today or timezone.localdate()
    first = first_year()
    if first is None:
        return []
    return list(range(max(first, today.year - YEARS + 1), today.year + 1))


def _all_communes() -> list[int]:
    from cases.choices import UnitLevel
    from cases.models import AdministrativeUnit

    return list(
        AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).values_list("pk", flat=True)
    )


def _pairs(
    today: datetime.date, years: Sequence[int] | None = None
) -> list[tuple[Indicator, Period]]:
    return [
        (indicator, period)
        for year in (data_years(today) if years is None else years)
        for period in periods_of(year)
        for indicator in registry.indicators()
        if rolled_up(indicator, period, today)
    ]


def refresh(
    *,
    full: bool = False,
    today: datetime.date | None = None,
    years: Sequence[int] | None = None,
    seen: Callable[[], object] | None = None,
) -> dict[str, int]:
    """Recompute the stale communes (``full``: every commune) and build what is missing.

    One transaction under an advisory lock (one refresh at a time): read the markers, build
    the (indicator, standard period) pairs never built (every commune), recompute the stale
    communes' cells of the pairs already built, delete the markers read, and only those (a
    write committed meanwhile left a marker this refresh did not read: it stays stale).
    ``years``: only these years' periods (default: the years that have data). ``seen`` is
    called after the markers are read (the concurrency test's write goes there).
    Returns counts: communes recomputed, pairs built, cells written, markers deleted.
    """
    from .models import FigureBuild

    today = today or timezone.localdate()
    counts = {"communes": 0, "built": 0, "cells": 0, "markers": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute("SET LOCAL jit = off")
        cursor.execute('SELECT "id", "commune_id" FROM "reports_figurestale"')
        markers = cursor.fetchall()
        if seen is not None:
            seen()
        ids = [marker_id for marker_id, _commune in markers]
        stale = {commune for _id, commune in markers}
        communes = _all_communes() if full or None in stale else sorted(stale)
        built = {
            (code, start, end, made)
            for code, start, end, made in FigureBuild.objects.values_list(
                "indicator", "period_start", "period_end", "breakdowns"
            )
        }
        if full:
            cursor.execute('DELETE FROM "reports_figurecell"')
            FigureBuild.objects.all().delete()
            built = set()
        elif communes:
            cursor.execute(
                'DELETE FROM "reports_figurecell" WHERE "commune_id" = ANY(%s)', [communes]
            )
        now = timezone.now()
        every = _all_communes() if not full else communes
        for indicator, period in _pairs(today, years):
            pair = (indicator.code, period.start, period.end)
            if (*pair, _offered(indicator)) in built:
                cells = commune_cells(indicator, period, communes)
            else:
                cursor.execute(
                    'DELETE FROM "reports_figurecell" WHERE "indicator" = %s'
                    ' AND "period_start" = %s AND "period_end" = %s',
                    list(pair),
                )
                cells = commune_cells(indicator, period, every)
                FigureBuild.objects.update_or_create(
                    indicator=indicator.code,
                    period_start=period.start,
                    period_end=period.end,
                    defaults={"breakdowns": _offered(indicator), "built_at": now},
                )
                counts["built"] += 1
            _write(cursor, indicator, period, cells, now)
            counts["cells"] += len(cells)
        if ids:
            cursor.execute('DELETE FROM "reports_figurestale" WHERE "id" = ANY(%s)', [ids])
        counts["communes"] = len(communes)
        counts["markers"] = len(ids)
    return counts


def _offered(indicator: Indicator) -> str:
    return ",".join(["", *indicator.breakdowns])


def stale_communes() -> set[int | None]:
    """Return the communes marked stale (None: every commune)."""
    from .models import FigureStale

    return set(FigureStale.objects.values_list("commune_id", flat=True).distinct())


@task()
def refresh_figures() -> dict[str, int]:
    """The worker's task (D36): recompute the communes whose figures are stale."""
    return refresh()
