"""English date formats: the same dd/mm/yyyy as Vietnamese, so a date never reads two ways;
only the number separators are English."""

from core.formats.vi.formats import (  # noqa: F401  (re-exported: Django reads this module)
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
