"""Read a public-holiday CSV file and load it: each year it names is replaced as a whole.

The file has a header line ``date,name_vi,name_en,kind`` (and optionally ``provisional``,
``yes``/``no``). A date is ``YYYY-MM-DD`` or ``dd/mm/yyyy``. Every line is checked first;
one bad line loads nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from audit.actions import record
from core.users import AnyAbstractUser

from .events import CalendarAction
from .models import HolidayKind, PublicHoliday

COLUMNS = ["date", "name_vi", "name_en", "kind"]
OPTIONAL = "provisional"
NAME_LENGTH = PublicHoliday._meta.get_field("name_vi").max_length or 200
YES, NO = {"yes", "true", "1", "x"}, {"no", "false", "0", ""}


@dataclass
class Parsed:
    rows: list[PublicHoliday] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _day(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or dd/mm/yyyy)")


def _row(values: dict[str, str]) -> PublicHoliday:
    """Build one holiday from a line's values, or raise ValueError saying what is wrong."""
    problems = []
    try:
        day = _day(values["date"])
    except ValueError as error:
        problems.append(str(error))
    for name in ("name_vi", "name_en"):
        if not values[name] and name == "name_vi":  # the English name is optional
            problems.append(f"{name} is empty")
        elif len(values[name]) > NAME_LENGTH:
            problems.append(f"{name} is longer than {NAME_LENGTH} characters")
    if values["kind"] not in HolidayKind.values:
        problems.append(f"kind {values['kind']!r} is not one of {', '.join(HolidayKind.values)}")
    flag = values.get(OPTIONAL, "").lower()
    if flag not in YES | NO:
        problems.append(f"provisional {flag!r} is not yes or no")
    if problems:
        raise ValueError("; ".join(problems))
    return PublicHoliday(
        day=day,
        name_vi=values["name_vi"],
        name_en=values["name_en"],
        kind=values["kind"],
        provisional=flag in YES,
    )


def parse(text: str) -> Parsed:
    """Check every line of a holiday file; return the rows and one error per bad line."""
    result = Parsed()
    lines = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip().lower() for h in next(lines, [])]
    if header not in (COLUMNS, [*COLUMNS, OPTIONAL]):
        result.errors.append(f"line 1: the header must be {','.join(COLUMNS)}[,{OPTIONAL}]")
        return result
    seen: dict[date, int] = {}
    for number, cells in enumerate(lines, start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) == len(COLUMNS) < len(header):
            cells = [*cells, ""]  # the optional last column left out
        if len(cells) != len(header):
            result.errors.append(f"line {number}: {len(cells)} columns, expected {len(header)}")
            continue
        try:
            row = _row(dict(zip(header, (c.strip() for c in cells), strict=True)))
        except ValueError as error:
            result.errors.append(f"line {number}: {error}")
            continue
        if row.day in seen:
            result.errors.append(f"line {number}: {row.day} is already on line {seen[row.day]}")
            continue
        seen[row.day] = number
        result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append("the file has no holidays")
    return result


def holidays_load(*, actor: AnyAbstractUser | None, rows: list[PublicHoliday]) -> dict[str, int]:
    """Replace the holidays of every year the rows name with the rows; record the load."""
    years = sorted({row.day.year for row in rows})
    with transaction.atomic():
        removed, _ = PublicHoliday.objects.filter(day__year__in=years).delete()
        for row in rows:
            row.full_clean()
        PublicHoliday.objects.bulk_create(rows)
        record(
            actor=actor,
            action=CalendarAction.HOLIDAYS_LOADED,
            object_type="publicholiday",
            detail={"years": years, "rows": len(rows), "removed": removed},
        )
    return {"years": len(years), "rows": len(rows), "removed": removed}


def _holiday_detail(holiday: PublicHoliday, change: str) -> dict[str, object]:
    return {
        "change": change,
        "day": holiday.day.isoformat(),
        "holiday_kind": holiday.kind,
        "provisional": holiday.provisional,
    }


def holiday_save(
    *, actor: AnyAbstractUser | None, holiday: PublicHoliday, fields: list[str]
) -> PublicHoliday:
    """Save one holiday added or changed by hand (the admin site) and record it."""
    change = "added" if holiday._state.adding else "changed"
    holiday.full_clean()
    with transaction.atomic():
        holiday.save()
        detail = _holiday_detail(holiday, change) | {"fields": sorted(fields)}
        record(actor=actor, action=CalendarAction.HOLIDAY_CHANGED, obj=holiday, detail=detail)
    return holiday


def holiday_delete(*, actor: AnyAbstractUser | None, holiday: PublicHoliday) -> None:
    """Delete one holiday by hand (the admin site) and record it."""
    with transaction.atomic():
        record(
            actor=actor,
            action=CalendarAction.HOLIDAY_CHANGED,
            obj=holiday,
            detail=_holiday_detail(holiday, "deleted"),
        )
        holiday.delete()
