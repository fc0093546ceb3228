"""The facility registry's indicators for the figures registry (issue 29, decision D49),
registered from ``FacilitiesConfig.ready``: facilities meeting the conditions, and occupancy.

Both count facilities in the commune where they stand (``FacilityProfile.commune``), so a
row is a sum of its communes like every other figure, and both roll up (D37): the profile
and review tables carry staleness triggers that mark the facility's commune, and the two
stay tables a second set that marks the commune of the facility stayed at (``rollup.py``).
Definitions in ``docs/indicators.md`` (section "Facilities") and ``docs/facilities.md``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from uuid import UUID

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from reports import registry
from reports.indicators import engine
from reports.registry import Indicator, Query, Result

from .models import CapacityUnit, ConditionReview, FacilityProfile, Overall
from .occupancy import staying, staying_people

GROUP = "facilities"
# Capacities that count people staying (a clinic's capacity in patients does not).
RESIDENTIAL = (CapacityUnit.BEDS, CapacityUnit.PLACES)
BREAKDOWNS = ("org_type",)


@dataclass(frozen=True)
class _Facility:
    commune: int
    organisation: UUID
    type_code: str
    latest: str | None
    capacity: int | None
    capacity_unit: str


def _profiles(query: Query) -> list[_Facility]:
    """The facilities standing in the query's communes, with their type and latest review
    on or before the period's last day."""
    latest = ConditionReview.objects.filter(
        facility=OuterRef("pk"), reviewed_on__lte=query.period.end
    ).order_by("-reviewed_on", "-created_at")
    rows = (
        FacilityProfile.objects.filter(
            commune_id__any_of=list(query.rows), organisation__is_active=True
        )
        .annotate(
            type_code=F("organisation__type__code"),
            latest=Subquery(latest.values("overall")[:1]),
        )
        .values_list(
            "commune_id", "organisation_id", "type_code", "latest", "capacity", "capacity_unit"
        )
    )
    return [_Facility(*row) for row in rows]


def _assemble(
    query: Query, tallies: list[tuple[int, str, int, int]], breakdown: str | None
) -> Result:
    """Add (commune, key, denominator, numerator) tallies into the registry's cells."""
    by_row: engine.Tally = {}
    by_key: engine.Tally = {}
    for commune, key, den, num in tallies:
        for tally, at in ((by_row, (commune, None)), (by_key, (commune, key))):
            old = tally.get(at, (0, 0))
            tally[at] = (old[0] + den, old[1] + num)
    keys = registry.breakdown_keys(breakdown) if breakdown else []
    return engine.assemble(
        query, by_key=by_key if breakdown else None, by_row=by_row, keys=keys, kind="share"
    )


def conditions_met(query: Query) -> Result:
    """Facilities whose latest review on or before the period's end found them meeting the
    conditions, of the facilities standing in the communes."""
    tallies = [
        (f.commune, f.type_code, 1, int(f.latest == Overall.MEETS)) for f in _profiles(query)
    ]
    return _assemble(query, tallies, query.breakdown)


def occupancy_day(query: Query) -> datetime.date:
    """The day occupancy is counted on: the period's last day, or today while it runs."""
    return min(query.period.end, timezone.localdate())


def _counted(query: Query) -> list[_Facility]:
    return [f for f in _profiles(query) if f.capacity and f.capacity_unit in RESIDENTIAL]


def occupancy(query: Query) -> Result:
    """People staying on the day, of the beds or places of the facilities with a known
    capacity above 0 (a facility of capacity 0 or unknown, or counted in patients, as an
    outpatient clinic is, is in neither part)."""
    counted = _counted(query)
    people = staying(occupancy_day(query), [f.organisation for f in counted])
    tallies = [
        (f.commune, f.type_code, f.capacity or 0, people.get(f.organisation, 0)) for f in counted
    ]
    return _assemble(query, tallies, query.breakdown)


def occupancy_people(query: Query, row: int | None, key: str | None) -> QuerySet[Person]:
    """The people staying on the day at the counted facilities of one cell (row None: all
    rows; key None: every type)."""
    communes = set(engine.communes_of(query, row))
    organisations = [
        f.organisation
        for f in _counted(query)
        if f.commune in communes and (key is None or f.type_code == key)
    ]
    return staying_people(occupancy_day(query), organisations)


def register() -> None:
    """Register the group and the two indicators (FAC_*)."""
    registry.register_group(registry.Group(GROUP, _("Facilities"), 100, short_name=_("Facilities")))
    registry.register(
        Indicator(
            code="FAC_CONDITIONS_MET",
            name=_("Facilities meeting the conditions (latest review)"),
            group=GROUP,
            kind="share",
            compute=conditions_met,
            breakdowns=BREAKDOWNS,
            order=10,
            definition=_(
                "Facilities whose latest review on or before the period's end found them "
                "meeting the conditions, of all facilities with a profile"
            ),
        )
    )
    registry.register(
        Indicator(
            code="FAC_OCCUPANCY",
            name=_("Facility occupancy (people staying, of places)"),
            group=GROUP,
            kind="share",
            compute=occupancy,
            people=occupancy_people,
            breakdowns=BREAKDOWNS,
            order=20,
            definition=_(
                "People staying on the period's last day (today while it runs), of the beds "
                "or places of the facilities whose capacity is known and above 0"
            ),
            today=True,
        )
    )
