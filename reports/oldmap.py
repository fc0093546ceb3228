"""A past period on the old map (decision D57, ``docs/units.md``).

After ``reorganise_units`` the figures of every period are counted on the new map (people in
today's units, movers by their residence on the period's last day: "re-based"). For a period
that started before the latest reorganisation took effect, the dashboard and the 6-monthly
report may show it on the old map instead: the rows are the units of that time (kept, not
in use), with their names of that time (the units' history as of the run), and each person
is counted in the old commune they lived in on the period's last day:

1. a residence row covering that day that had ended before the change (it keeps its old
   unit, D50);
2. else the old unit the reorganisation took them from (``cases.ReaddressedPerson``);
3. else (registered after the change) the old commune their commune of today came from,
   when only one did; otherwise "unassigned", a row of its own, so nobody is lost or counted
   twice.

Counted live (never from the roll-up, which is by today's communes); the people are found
through the indexes on the people's commune, ``ReaddressedPerson (reorganisation, person)``
and the residence rows' person.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q
from django.utils.translation import gettext as _

from cases.choices import UnitLevel
from cases.models import (
    AdministrativeUnit,
    Person,
    ReaddressedPerson,
    Reorganisation,
    Residence,
    UnitSuccession,
)

from .registry import Period
from .tables import Row

NEW = "new"
OLD = "old"
MAPS = (NEW, OLD)
# The row of the people whose old commune cannot be told (never a unit's id).
UNASSIGNED = -2


@dataclass(frozen=True)
class OldLayout:
    """The rows of a unit on the old map, each old commune → its row, and the people placed
    (person → (old commune or UNASSIGNED, commune today))."""

    reorganisation: Reorganisation
    rows: list[Row]
    communes: dict[int, int]
    people: dict[UUID, tuple[int, int]]


def reorganisation_for(period: Period) -> Reorganisation | None:
    """The latest reorganisation, when it took effect after the period's start (the map
    choice is offered then only)."""
    latest = Reorganisation.objects.order_by("-effective_on", "-pk").first()
    if latest is not None and latest.effective_on > period.start:
        return latest
    return None


def _old_units(run: Reorganisation) -> dict[int, AdministrativeUnit]:
    """The units in use just before the run, as they were (name, code, place)."""
    return {
        unit.pk: unit for unit in AdministrativeUnit.history.as_of(run.applied_at) if unit.is_active
    }


def layout(unit: AdministrativeUnit, period: Period, run: Reorganisation) -> OldLayout:
    """The rows of ``unit`` on the map before ``run`` and the people counted in them."""
    old = _old_units(run)
    successions = list(
        UnitSuccession.objects.filter(reorganisation=run).values_list("old_unit_id", "new_unit_id")
    )
    came_from: dict[int, set[int]] = defaultdict(set)
    went_to: dict[int, set[int]] = defaultdict(set)
    for before, after in successions:
        came_from[after].add(before)
        went_to[before].add(after)
    if unit.level == UnitLevel.COMMUNE or unit.pk not in old:
        # A commune (or a unit the run created): the old units it came from, each a row.
        tops = sorted(came_from.get(unit.pk) or ({unit.pk} & set(old)))
    else:
        tops = sorted(pk for pk, u in old.items() if u.parent_id == unit.pk)
    rows = [Row(pk, old[pk].name, old[pk].code) for pk in tops]
    communes: dict[int, int] = {}
    for top in tops:
        prefix = old[top].path
        for pk, u in old.items():
            if u.level == UnitLevel.COMMUNE and u.path.startswith(prefix):
                communes[pk] = top
    people = _place(period.end, run, set(communes), came_from, went_to)
    if any(then == UNASSIGNED for then, _now in people.values()):
        rows.append(Row(UNASSIGNED, _("Unassigned (old commune not known)"), ""))
        communes[UNASSIGNED] = UNASSIGNED
    return OldLayout(run, rows, communes, people)


def _place(
    day: datetime.date,
    run: Reorganisation,
    olds: set[int],
    came_from: dict[int, set[int]],
    went_to: dict[int, set[int]],
) -> dict[UUID, tuple[int, int]]:
    """Person → (old commune on ``day`` or UNASSIGNED, commune today), for everyone who may
    have lived in one of ``olds`` then."""
    now_communes = olds | {new for o in olds for new in went_to.get(o, ())}
    today = dict(
        Person.objects.filter(residence_commune_id__in=now_communes).values_list(
            "pk", "residence_commune_id"
        )
    )
    # Residence rows of that day that ended before the change kept their old unit (D50).
    ended = (
        Residence.objects.filter(ended_on__gt=day, ended_on__lte=run.effective_on)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(Q(commune_id__in=olds) | Q(person_id__in=list(today)))
        .values_list("person_id", "commune_id", "person__residence_commune_id")
    )
    then: dict[UUID, int] = {}
    for person, commune, current in ended:
        then[person] = commune
        today[person] = current
    taken = dict(
        ReaddressedPerson.objects.filter(reorganisation=run, person_id__in=list(today))
        .exclude(person_id__in=list(then))
        .values_list("person_id", "old_unit_id")
    )
    then.update(taken)
    for person, current in today.items():
        if person in then:
            continue
        sources = came_from.get(current)
        if not sources:
            then[person] = current  # a commune the change did not touch
        elif len(sources) == 1:
            then[person] = next(iter(sources))
        else:
            then[person] = UNASSIGNED
    return {person: (commune, today[person]) for person, commune in then.items()}


def same_rows(layouts: list[OldLayout]) -> tuple[list[Row], dict[int, int]]:
    """One set of rows for several periods' layouts (a report's block has one): each
    layout's rows, the "unassigned" row when any period has it."""
    rows: list[Row] = []
    communes: dict[int, int] = {}
    for old in layouts:
        rows += [row for row in old.rows if row not in rows]
        communes |= old.communes
    return sorted(rows, key=lambda row: row.unit_id == UNASSIGNED), communes
