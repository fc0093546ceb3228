"""Read one cell of a register file as its column's type says (pure functions, no database).

Each reader returns the value, or raises ``CellError`` with a Vietnamese message for the
office that filled the file. Dates are read the ways Vietnamese offices write them:
dd/mm/yyyy, d/m/yy, an Excel date cell or serial number, text such as
"ngày 5 tháng 3 năm 2024"; a date in the future is refused.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from core import normalize
from services.methadone.models import DoseKind

from .format import DOSE_MISSED, DOSE_TAKE_HOME_SUFFIX

# Excel's day 0 (serial 1 is 1 January 1900; 1900's false 29 February makes 60 unusable,
# and every serial after it is one day ahead, hence the base on 30 December 1899).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Serials of dates from 1900 to 2100: a bigger or smaller number is not a date.
EXCEL_SERIAL_RANGE = (1, 73_415)
EARLIEST = datetime.date(1900, 1, 1)


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is Vietnamese, for the office."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def text(raw: Any) -> str:
    """Return a cell as text: NFC, trimmed; a whole number typed in Excel loses its ".0";
    the apostrophe before formula-like text (as the export writes it) is taken off."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime.datetime | datetime.date):
        return raw.strftime("%d/%m/%Y")
    written = unicodedata.normalize("NFC", str(raw))
    if written[:1] == "'" and written[1:2] in FORMULA_STARTS:
        written = written[1:]  # the apostrophe an export puts before formula-like text
    return written.strip()


# What a spreadsheet would run as a formula: an export writes these with a leading
# apostrophe (``reports.export.neutralise``), which the import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def name(raw: Any) -> str:
    """Return a person's name: NFC, inner spaces collapsed, diacritics exactly as written."""
    return " ".join(text(raw).split())


_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_WORDS = re.compile(
    r"^(?:ngay\s*)?(\d{1,2})\s*(?:thang|/|-|\.)\s*(\d{1,2})\s*(?:nam|,|/|-|\.)?\s*(\d{4})$"
)


def date(raw: Any, *, today: datetime.date) -> datetime.date:
    """Return a date written as Vietnamese offices write it; refuse one in the future."""
    value = _date(raw, today=today)
    if value > today:
        raise CellError(
            f"Ngày {value:%d/%m/%Y} là ngày trong tương lai (hôm nay là {today:%d/%m/%Y}).",
            "future",
        )
    if value < EARLIEST:
        raise CellError(f"Ngày {value:%d/%m/%Y} trước năm 1900: kiểm tra lại.", "too_old")
    return value


def _date(raw: Any, *, today: datetime.date) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _serial(raw)
    written = text(raw)
    if re.fullmatch(r"\d{4,5}(\.0+)?", written):
        return _serial(float(written))
    folded = normalize.fold_text(written).replace(",", " ").strip()
    folded = " ".join(folded.split())
    for pattern, order in ((_DMY, "dmy"), (_ISO, "ymd"), (_WORDS, "dmy")):
        found = pattern.match(folded if pattern is _WORDS else written)
        if found:
            first, second, third = (int(part) for part in found.groups()[:3])
            day, month, year = (first, second, third) if order == "dmy" else (third, second, first)
            if order == "dmy" and len(found.group(3)) == 2:
                year = _century(year, today=today)
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellError(
                    f"“{written}” không phải là một ngày có thật (ngày/tháng/năm).", "bad_date"
                ) from None
    raise CellError(
        f"Không đọc được ngày “{written}”: ghi theo dạng ngày/tháng/năm, ví dụ 05/03/2024.",
        "bad_date",
    )


def _century(year: int, *, today: datetime.date) -> int:
    """Return a two-digit year as 20yy, or 19yy when 20yy would be in the future."""
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _serial(number: float) -> datetime.date:
    low, high = EXCEL_SERIAL_RANGE
    if not low <= number <= high:  # a date-time serial's fraction is its time: dropped
        raise CellError(f"Số {number:g} không phải là một ngày.", "bad_date")
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


_MONTH = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_MONTH_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")


def month(raw: Any, *, today: datetime.date) -> datetime.date:
    """Return the first day of a month written mm/yyyy, yyyy-mm or as an Excel date."""
    if isinstance(raw, datetime.date | datetime.datetime):
        day = raw.date() if isinstance(raw, datetime.datetime) else raw
        first = day.replace(day=1)
    else:
        written = " ".join(normalize.fold_text(text(raw)).split())
        found = _MONTH.match(written)
        iso = _MONTH_ISO.match(written)
        if found:
            number, year = int(found.group(1)), int(found.group(2))
        elif iso:
            year, number = int(iso.group(1)), int(iso.group(2))
        else:
            raise CellError(
                f"Không đọc được tháng “{text(raw)}”: ghi theo dạng tháng/năm, ví dụ 03/2024.",
                "bad_month",
            )
        if not 1 <= number <= 12 or year < EARLIEST.year:
            raise CellError(f"“{text(raw)}” không phải là một tháng có thật.", "bad_month")
        first = datetime.date(year, number, 1)
    if first > today:
        raise CellError(f"Tháng {first:%m/%Y} là tháng trong tương lai.", "future")
    return first


def year(raw: Any, *, today: datetime.date) -> int:
    """Return a four-digit year from 1900 to this year."""
    written = text(raw)
    if not re.fullmatch(r"\d{4}", written):
        raise CellError(f"Năm “{written}” phải có 4 chữ số, ví dụ 1990.", "bad_year")
    value = int(written)
    if not EARLIEST.year <= value <= today.year:
        raise CellError(f"Năm {value} phải từ 1900 đến {today.year}.", "bad_year")
    return value


def integer(raw: Any) -> int:
    """Return a whole number ≥ 0."""
    written = text(raw)
    if not re.fullmatch(r"\d+", written):
        raise CellError(f"“{written}” phải là một số nguyên không âm.", "bad_integer")
    return int(written)


def amount(raw: Any) -> int:
    """Return a whole number of đồng; dots, commas and spaces between thousands are ignored."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        if raw < 0:
            raise CellError("Số tiền không được âm.", "bad_amount")
        return int(raw)
    written = text(raw)
    if not re.fullmatch(r"\d{1,3}(?:[.,\s]\d{3})*|\d+", written):
        raise CellError(f"Số tiền “{written}” phải là số đồng, ví dụ 1.500.000.", "bad_amount")
    return int(re.sub(r"[.,\s]", "", written))


def decimal(raw: Any) -> Decimal:
    """Return a number with one decimal at most; "2,5" and "2.5" both read 2.5."""
    written = text(raw).replace(",", ".")
    try:
        value = Decimal(written)
    except InvalidOperation:
        raise CellError(f"“{text(raw)}” phải là một số, ví dụ 45 hoặc 2,5.", "bad_number") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.1")):
        raise CellError(
            f"“{text(raw)}” phải là một số không âm, nhiều nhất một chữ số thập phân.",
            "bad_number",
        )
    return value.quantize(Decimal("0.1"))


_TRUE = {"co", "x", "1", "yes", "true", "dung", "y"}
_FALSE = {"khong", "0", "no", "false", "sai", "n"}


def boolean(raw: Any) -> bool:
    """Return có/không, x/blank, 1/0, yes/no as a truth value."""
    if isinstance(raw, bool):
        return raw
    written = normalize.fold_text(text(raw))
    if written in _TRUE:
        return True
    if written in _FALSE or not written:
        return False
    raise CellError(f"“{text(raw)}” phải là “có” hoặc “không”.", "bad_boolean")


def old_id(raw: Any) -> str:
    """Return a 9- or 12-digit identity card number (CMND)."""
    written = text(raw)
    number = normalize.digits(written)
    if len(number) not in (9, 12) or number != written.replace(" ", ""):
        raise CellError(f"Số CMND “{written}” phải có 9 hoặc 12 chữ số.", "bad_old_id")
    return number


def phone(raw: Any) -> str:
    """Return a phone number as written (digits, spaces, + . -)."""
    written = text(raw)
    if not re.fullmatch(r"[\d\s+.\-()]{6,20}", written) or len(normalize.digits(written)) < 6:
        raise CellError(f"Số điện thoại “{written}” không hợp lệ.", "bad_phone")
    return written


def dose(raw: Any) -> tuple[int, Decimal | None]:
    """Return a dosing cell's (kind, mg): "45" observed, "45MV" take-home, "K" missed."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return DoseKind.OBSERVED, decimal(raw)
    written = text(raw).replace(" ", "").upper()
    if written == DOSE_MISSED:
        return DoseKind.MISSED, None
    kind = DoseKind.OBSERVED
    if written.endswith(DOSE_TAKE_HOME_SUFFIX):
        kind, written = DoseKind.TAKE_HOME, written.removesuffix(DOSE_TAKE_HOME_SUFFIX)
    try:
        mg = decimal(written)
    except CellError:
        raise CellError(
            f"Ô liều “{text(raw)}” phải là số mg (ví dụ 45), số mg kèm MV khi mang về "
            f"(45MV), hoặc K khi không đến.",
            "bad_dose",
        ) from None
    if mg <= 0:
        raise CellError("Liều phải lớn hơn 0 mg; ghi K khi bệnh nhân không đến.", "bad_dose")
    return kind, mg
