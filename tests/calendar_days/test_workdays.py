"""Working days: weekends and Vietnam's public holidays (rows, loaded by migration) are off."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Event
from calendar_days.events import CalendarAction
from calendar_days.models import HolidayKind, PublicHoliday
from calendar_days.workdays import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.django_db

D = date


def test_the_migration_loads_three_years() -> None:
    for year in (2025, 2026, 2027):
        days_off = PublicHoliday.objects.filter(day__year=year).exclude(kind=HolidayKind.MAKEUP)
        assert days_off.count() >= 11, year  # 11 statutory days (Labour Code art. 112)
    tet_2026 = PublicHoliday.objects.filter(day__range=(D(2026, 2, 16), D(2026, 2, 20)))
    assert tet_2026.count() == 5
    assert not PublicHoliday.objects.filter(day__year__lt=2027, provisional=True).exists()
    assert PublicHoliday.objects.get(day=D(2027, 2, 6)).provisional  # Tết 2027: not decided


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday before Tết
        (D(2026, 2, 14), False),  # Saturday
        (D(2026, 2, 16), False),  # 29 Tết
        (D(2026, 2, 17), False),  # mùng 1
        (D(2026, 2, 20), False),  # mùng 4
        (D(2026, 2, 23), True),  # back to work
        (D(2026, 1, 10), True),  # a Saturday worked for the bridging day of 2 January
        (D(2026, 1, 2), False),  # the bridging day itself
        (D(2026, 4, 27), False),  # compensatory day: Hùng Kings fell on a Sunday
        (D(2026, 9, 2), False),
        (D(2026, 9, 3), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_tet_2026_in_the_middle() -> None:
    # Thu 12/2 → Thu 26/2: 13, then 16–20 Tết, 14–15 and 21–22 weekends, then 23–26.
    assert working_days_between(D(2026, 2, 12), D(2026, 2, 26)) == 5
    assert add_working_days(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    # Five working days on from a referral sent the Friday before Tết.
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)


def test_weekends_and_boundaries() -> None:
    friday, monday = D(2026, 3, 6), D(2026, 3, 9)
    assert working_days_between(friday, monday) == 1  # after the start, up to the end
    assert working_days_between(friday, friday + timedelta(days=1)) == 0  # Saturday
    assert working_days_between(monday, friday + timedelta(days=7)) == 4  # Tue–Fri
    assert add_working_days(friday, 1) == monday
    assert add_working_days(D(2026, 3, 7), 1) == monday  # from a Saturday
    assert add_working_days(monday, -1) == friday


def test_the_empty_case() -> None:
    day = D(2026, 3, 10)
    assert working_days_between(day, day) == 0
    assert working_days_between(day, day - timedelta(days=30)) == 0
    assert add_working_days(day, 0) == day
    assert add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 7)  # a Saturday stays put


def test_adding_then_counting_agree() -> None:
    start = D(2025, 12, 20)
    for n in (1, 3, 10, 40, 250):
        end = add_working_days(start, n)
        assert working_days_between(start, end) == n
        assert is_working_day(end)


def test_a_whole_year() -> None:
    # 2026: 261 weekdays, less 13 weekday days off (Hùng Kings is a Sunday, its
    # compensatory Monday is counted), plus 2 Saturdays worked.
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 261 - 13 + 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: working_days_between(D(2025, 1, 1), D(2027, 12, 31)),
        lambda: add_working_days(D(2025, 1, 1), 500),
        lambda: add_working_days(D(2027, 12, 31), -500),
        lambda: is_working_day(D(2026, 2, 17)),
    ],
)
def test_one_query_per_call(call: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        call()
    assert len(queries) == 1


# ---------------------------------------------------------------------------------------
# load_holidays


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.csv"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_2028 = (
    "date,name_vi,name_en,kind,provisional\n"
    "2028-01-01,Tết Dương lịch,New Year's Day,fixed,no\n"
    "03/01/2028,Nghỉ bù Tết Dương lịch,Compensatory day off for New Year's Day,compensatory,\n"
    "2028-01-25,Tết Nguyên Đán,Lunar New Year,lunar,yes\n"
)


def test_load_holidays_adds_a_year_and_records_it(tmp_path: Path) -> None:
    before = PublicHoliday.objects.count()
    call_command("load_holidays", str(_file(tmp_path, GOOD_2028)))
    assert PublicHoliday.objects.count() == before + 3
    assert not is_working_day(D(2028, 1, 3))
    assert PublicHoliday.objects.get(day=D(2028, 1, 25)).provisional
    event = Event.objects.filter(action=CalendarAction.HOLIDAYS_LOADED).latest("seq")
    assert event.detail == {"years": [2028], "rows": 3, "removed": 0}


def test_load_holidays_replaces_the_years_it_names(tmp_path: Path) -> None:
    decided = (
        "date,name_vi,name_en,kind\n"
        "2027-01-01,Tết Dương lịch,New Year's Day,fixed\n"
        "2027-02-04,Tết Nguyên Đán,Lunar New Year,lunar\n"
    )
    kept_2026 = PublicHoliday.objects.filter(day__year=2026).count()
    call_command("load_holidays", str(_file(tmp_path, decided)))
    assert list(PublicHoliday.objects.filter(day__year=2027).values_list("day", flat=True)) == [
        D(2027, 1, 1),
        D(2027, 2, 4),
    ]
    assert PublicHoliday.objects.filter(day__year=2026).count() == kept_2026
    assert is_working_day(D(2027, 2, 10))


def test_one_bad_line_loads_nothing_and_each_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = GOOD_2028 + (
        "2028-02-30,Ngày sai,Wrong day,fixed\n"
        "2028-03-01,,No Vietnamese name,fixed\n"
        "2028-03-02,Lễ,Holiday,festival\n"
        "2028-01-01,Trùng,Duplicate,fixed\n"
        "2028-03-03,Thiếu cột\n"
        "2028-03-04,Lễ,Holiday,fixed,maybe\n"
    )
    before = PublicHoliday.objects.count()
    with pytest.raises(CommandError, match="6 bad line"):
        call_command("load_holidays", str(_file(tmp_path, bad)))
    errors = capsys.readouterr().err
    for line in (5, 6, 7, 8, 9, 10):
        assert f"line {line}:" in errors
    assert "'2028-02-30' is not a date" in errors
    assert "name_vi is empty" in errors
    assert "kind 'festival'" in errors
    assert "already on line 2" in errors
    assert PublicHoliday.objects.count() == before
    assert not Event.objects.filter(action=CalendarAction.HOLIDAYS_LOADED).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,name\n2028-01-01,x\n", "line 1: the header must be"),
        ("date,name_vi,name_en,kind\n", "the file has no holidays"),
        ("", "line 1: the header must be"),
    ],
)
def test_a_file_without_rows_or_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    with pytest.raises(CommandError):
        call_command("load_holidays", str(_file(tmp_path, text)))
    assert message in capsys.readouterr().err


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,name_vi,name_en,kind\n2028-01-01,T\xeat,x,fixed\n".encode("latin-1"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_holidays", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_holidays", str(tmp_path / "missing.csv"))
