"""Count and add working days: Saturdays, Sundays and Vietnam's public holidays are off.

The holidays are rows of ``calendar_days.models.PublicHoliday`` (loaded by a data migration and by
``manage.py load_holidays``), so a new year or a government decision is data, not a release.
A ``makeup`` row turns a weekend day into a working day (the Saturday worked in exchange
for a bridging day). Each function reads the rows of its range in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .models import HolidayKind, PublicHoliday

SATURDAY = 5
# Wide enough that ``add_working_days`` finds its day inside one fetched range: at least
# twice the calendar days asked for, plus two months for the longest run of days off.
_SLACK_DAYS = 62


@dataclass(frozen=True)
class _Calendar:
    off: frozenset[date]
    worked: frozenset[date]

    def is_working(self, day: date) -> bool:
        if day in self.off:
            return False
        return day.weekday() < SATURDAY or day in self.worked


def _calendar(first: date, last: date) -> _Calendar:
    """Read the holiday rows from ``first`` to ``last`` (inclusive) in one query."""
    rows = PublicHoliday.objects.filter(day__range=(first, last)).values_list("day", "kind")
    off: set[date] = set()
    worked: set[date] = set()
    for day, kind in rows:
        (worked if kind == HolidayKind.MAKEUP else off).add(day)
    return _Calendar(frozenset(off), frozenset(worked))


def is_working_day(day: date) -> bool:
    """Return whether ``day`` is a working day."""
    return _calendar(day, day).is_working(day)


def working_days_between(start: date, end: date) -> int:
    """Return the working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    if end <= start:
        return 0
    calendar = _calendar(start + timedelta(days=1), end)
    span = (end - start).days
    return sum(calendar.is_working(start + timedelta(days=n)) for n in range(1, span + 1))


def add_working_days(start: date, days: int) -> date:
    """Return the day ``days`` working days after ``start`` (before it if ``days`` < 0).

    ``add_working_days(d, 0)`` is ``d`` itself, working day or not; the result of a
    positive count is always a working day, so that
    ``working_days_between(start, add_working_days(start, n)) == n``.
    """
    if days == 0:
        return start
    step = 1 if days > 0 else -1
    reach = timedelta(days=2 * abs(days) + _SLACK_DAYS)
    first, last = (start, start + reach) if step > 0 else (start - reach, start)
    calendar = _calendar(first, last)
    day, left = start, abs(days)
    while left:
        day += timedelta(days=step)
        if not first <= day <= last:
            # Only a calendar with months of days off in a row gets here: widen once more.
            first, last = (day, day + reach) if step > 0 else (day - reach, day)
            calendar = _calendar(first, last)
        left -= calendar.is_working(day)
    return day
