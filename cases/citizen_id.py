"""Validate a citizen identity number (số CCCD / định danh cá nhân, 12 digits).

Layout (Circular 07/2016/TT-BCA, kept by Circular 59/2021/TT-BCA): three digits for the province
where the birth was registered, one digit for century and sex, two digits for the year of birth,
six random digits. Century/sex digit: 0/1 = male/female born 1900–1999, 2/3 = 2000–2099,
4/5 = 2100–2199, and so on.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.normalize import digits

# Province codes of the 63 provinces before the 2025 merger; numbers issued earlier keep them.
PROVINCE_CODES = frozenset([
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
    "020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036",
    "037", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "054",
    "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
    "094", "095", "096",
])  # fmt: skip


def century_sex_digit(*, birth_year: int, female: bool) -> int:
    """Return the 4th digit a number must carry for this birth year and sex."""
    return 2 * (birth_year // 100 - 19) + (1 if female else 0)


def validate_citizen_id(
    value: str, *, sex: str | None = None, birth_year: int | None = None
) -> str:
    """Return the number's 12 digits, or raise ValidationError saying what is wrong."""
    number = digits(value)
    if len(number) != 12 or number != value.replace(" ", "").strip():
        raise ValidationError(
            _("A citizen ID number has exactly 12 digits (you entered %(count)d characters).")
            % {"count": len(value.replace(" ", "").strip())},
            code="length",
        )
    if number[:3] not in PROVINCE_CODES:
        raise ValidationError(
            _("The first three digits (%(code)s) are not a province code.") % {"code": number[:3]},
            code="province",
        )
    marker = int(number[3])
    if sex in {"M", "F"} and (marker % 2 == 1) != (sex == "F"):
        raise ValidationError(
            _(
                "The 4th digit (%(digit)s) says the holder is %(coded)s, "
                "but the sex entered differs."
            )
            % {"digit": marker, "coded": _("female") if marker % 2 else _("male")},
            code="sex",
        )
    if birth_year is not None:
        coded_year = 1900 + (marker // 2) * 100 + int(number[4:6])
        if coded_year != birth_year:
            raise ValidationError(
                _(
                    "Digits 4–6 give the birth year %(coded)s, but the birth year entered is "
                    "%(entered)s."
                )
                % {"coded": coded_year, "entered": birth_year},
                code="birth_year",
            )
    return number
