"""The durations the law allows per treatment modality, and the age bracket that picks one.

Every figure here is listed with its source in docs/regulations.md; change both together.
Pure functions over dates and years: no database, so the rules are tested at every boundary.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Modality codes (services.models.episodes.Modality), repeated to keep this module model-free.
COMMUNITY_VOLUNTARY = "community_voluntary"
FACILITY_VOLUNTARY = "facility_voluntary"
FACILITY_COMPULSORY = "facility_compulsory"
METHADONE = "methadone"

ADULT_AGE = 18  # Law 73/2021/QH14 art. 32 (adults) and art. 33 (from 12 to under 18)


@dataclass(frozen=True)
class Duration:
    """An allowed length of treatment, in whole calendar months, with where it comes from."""

    label: str | Promise
    min_months: int
    max_months: int
    source: str | Promise

    def earliest_end(self, start: datetime.date) -> datetime.date:
        return add_months(start, self.min_months)

    def latest_end(self, start: datetime.date) -> datetime.date:
        return add_months(start, self.max_months)

    def allows(self, start: datetime.date, end: datetime.date) -> bool:
        return self.earliest_end(start) <= end <= self.latest_end(start)


COMMUNITY = Duration(
    _("Voluntary treatment at family or community"), 6, 12, _("Law 73/2021/QH14, article 30")
)
FACILITY = Duration(
    _("Voluntary treatment at a facility"), 6, 12, _("Law 73/2021/QH14, article 31, clause 1")
)
COMPULSORY_ADULT = Duration(
    _("Compulsory treatment of a person aged 18 or over"),
    12,
    24,
    _("Law 15/2012/QH13 on Handling Administrative Violations, article 95"),
)
COMPULSORY_MINOR = Duration(
    _("Compulsory treatment of a person aged 12 to under 18"),
    6,
    12,
    _("Law 73/2021/QH14, article 33"),
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day ``months`` later, or that month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def possible_ages(*, birth_year: int, on: datetime.date, estimated: bool) -> range:
    """Return the ages a person born in ``birth_year`` may have on a date.

    Only the year is known, so the birthday may be before or after the date (two ages); an
    estimated year is taken as one year either way (four ages).
    """
    oldest = on.year - birth_year + (1 if estimated else 0)
    youngest = on.year - birth_year - (2 if estimated else 1)
    return range(max(youngest, 0), oldest + 1)


def durations_for(*, modality: str, ages: range) -> list[Duration]:
    """Return the durations that may apply: one, two when the age straddles 18, none if free."""
    if modality == COMMUNITY_VOLUNTARY:
        return [COMMUNITY]
    if modality == FACILITY_VOLUNTARY:
        return [FACILITY]
    if modality == FACILITY_COMPULSORY:
        found = []
        if any(age < ADULT_AGE for age in ages):
            found.append(COMPULSORY_MINOR)
        if any(age >= ADULT_AGE for age in ages):
            found.append(COMPULSORY_ADULT)
        return found
    return []  # methadone maintenance has no fixed end
