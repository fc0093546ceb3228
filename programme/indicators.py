"""The programme's indicators for the figures registry (issue 29, D48), registered from
``ProgrammeConfig.ready``: staff trained, classes, communes reached, sessions, attendees,
materials, and activities done against the plans.

Courses, volunteers and planned activities are filed under any unit (a province's class, a
district's volunteers), not only communes: each is counted in the row whose subtree holds
its unit, and one filed under the unit looked at itself (``Query.unit``) in the totals only.
Activities are held in a commune and counted in its row. The tables are small, so every
indicator here is counted live (``Indicator.live``), never rolled up: no staleness trigger
is needed on them. The rules are written in ``docs/indicators.md`` ("Programme: training
and activities").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit
from reports import registry
from reports.indicators.engine import add_months, rows_of
from reports.registry import Cell, Key, Query, Result

from .models import (
    AGE_FIELDS,
    MATERIAL_FIELDS,
    Activity,
    ActivityKind,
    Attendance,
    Audience,
    Course,
    PlannedActivity,
    Volunteer,
)
from .selectors import case_staff_roles

GROUPS = (
    registry.Group("training", _("Staff training"), 100),
    registry.Group(
        "communication",
        _("Communication and prevention activities"),
        110,
        pgettext_lazy("sheet name", "Communication"),
    ),
)
DEFAULT_WINDOW_MONTHS = 24


def window_months() -> int:
    """Return how many months a course counts as training (``HOA_NHAP_TRAINING_WINDOW_MONTHS``)."""
    return int(getattr(settings, "TRAINING_WINDOW_MONTHS", DEFAULT_WINDOW_MONTHS))


def training_window(end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day a course must end in to count at ``end``."""
    return add_months(end, -window_months()) + datetime.timedelta(days=1), end


class Placement:
    """Where a record filed under a unit is counted: the row whose subtree holds it, the
    totals alone (the unit looked at itself), or nowhere."""

    def __init__(self, query: Query) -> None:
        wanted = set(rows_of(query)) | ({query.unit} if query.unit is not None else set())
        paths = dict(AdministrativeUnit.objects.filter(pk__in=wanted).values_list("pk", "path"))
        self.rows = [(pk, paths[pk]) for pk in rows_of(query) if pk in paths]
        self.top = paths.get(query.unit) if query.unit is not None else None

    def place(self, path: str) -> tuple[bool, int | None]:
        """Return (counted, row) of a record filed under the unit at ``path``."""
        for pk, row_path in self.rows:
            if path.startswith(row_path):
                return True, pk
        if self.top is not None and path.startswith(self.top):
            return True, None
        return False, None


class Cells:
    """A cell for every row × key and the totals, zeros included, added up as records come."""

    def __init__(self, query: Query, keys: Iterable[str], kind: str) -> None:
        self.kind = kind
        self.keys = list(keys) if query.breakdown else []
        self.sums: dict[Key, list[int]] = {
            (row, key): [0, 0] for row in [*rows_of(query), None] for key in [*self.keys, None]
        }

    def add(
        self, row: int | None, key: str | None, num: int, den: int = 0, *, total: bool = True
    ) -> None:
        """Add to the row's and the totals' cells (``total``), and to the key's, when one
        is given."""
        if row is not None and (row, None) not in self.sums:
            return  # a commune added only to reach movers' records (engine.OUTSIDE, D50)
        targets: list[Key] = []
        if total:
            targets += [(None, None)] if row is None else [(row, None), (None, None)]
        if key is not None and key in self.keys:
            targets += [(None, key)] if row is None else [(row, key), (None, key)]
        for at in targets:
            self.sums[at][0] += num
            self.sums[at][1] += den

    def result(self) -> Result:
        if self.kind == "share":
            return {at: Cell(numerator=n, denominator=d) for at, (n, d) in self.sums.items()}
        return {at: Cell(numerator=n) for at, (n, _d) in self.sums.items()}


# --- training ------------------------------------------------------------------------------------


def _staff(query: Query, place: Placement) -> dict[tuple[str, Any], tuple[int | None, str]]:
    """The people doing treatment / post-rehab work: id → (row, path of their unit)."""
    end = query.period.end
    roles = case_staff_roles()
    found: dict[tuple[str, Any], tuple[int | None, str]] = {}
    staff = User.objects.filter(
        Q(staff__role__in=roles) | Q(staff__second_role__in=roles),
        is_active=True,
        is_service_account=False,  # an API client is no one doing the work
        date_joined__date__lte=end,
    ).values_list("pk", "staff__scope_unit__path")
    for pk, path in staff:
        counted, row = place.place(path)
        if counted:
            found[("u", pk)] = (row, path)
    volunteers = Volunteer.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=end), registered_on__lte=end
    ).values_list("pk", "unit__path")
    for volunteer, path in volunteers:
        counted, row = place.place(path)
        if counted:
            found[("v", volunteer)] = (row, path)
    return found


def trained_share(query: Query) -> Result:
    """Staff and registered volunteers trained in the window ending with the period."""
    place = Placement(query)
    people = _staff(query, place)
    first, last = training_window(query.period.end)
    attended = Attendance.objects.filter(
        course__topic__counts=True, course__ends_on__range=(first, last)
    ).values_list("user_id", "volunteer_id")
    trained = {("u", u) if u is not None else ("v", v) for u, v in attended}
    cells = Cells(query, [], "share")
    for who, (row, _path) in people.items():
        cells.add(row, None, 1 if who in trained else 0, 1)
    return cells.result()


def classes(query: Query) -> Result:
    """Courses that started in the period, by audience."""
    place = Placement(query)
    cells = Cells(query, [a.value for a in Audience], "count")
    rows = Course.objects.filter(starts_on__range=(query.period.start, query.period.end))
    for path, audience in rows.values_list("unit__path", "audience"):
        counted, row = place.place(path)
        if counted:
            cells.add(row, audience if query.breakdown == "audience" else None, 1)
    return cells.result()


# --- communication ------------------------------------------------------------------------------


def _activities(query: Query) -> Any:
    return Activity.objects.filter(
        commune_id__in=list(query.rows), held_on__range=(query.period.start, query.period.end)
    )


def communes_reached(query: Query) -> Result:
    """Communes with at least one activity in the period, of the communes in use."""
    cells = Cells(query, [], "share")
    communes = AdministrativeUnit.objects.filter(
        pk__in=list(query.rows), level=UnitLevel.COMMUNE, is_active=True
    ).values_list("pk", flat=True)
    reached = set(_activities(query).values_list("commune_id", flat=True))
    for commune in communes:
        cells.add(query.rows[commune], None, 1 if commune in reached else 0, 1)
    return cells.result()


Part = tuple[str, str, bool]  # (breakdown key or "", column, whether it adds to the total)


def _summed(keys: Callable[[Query], list[Part]]) -> Callable[[Query], Result]:
    """An indicator summing activity columns: ``keys`` gives the parts of the breakdown
    asked for: (key, column, adds to the total)."""

    def compute(query: Query) -> Result:
        parts = keys(query)
        cells = Cells(query, [k for k, _c, _t in parts if k], "count")
        columns = sorted({c for _k, c, _t in parts})
        for commune, *values in _activities(query).values_list("commune_id", *columns):
            found = dict(zip(columns, values, strict=True))
            row = query.rows[commune]
            for key, column, total in parts:
                cells.add(row, key or None, found[column], total=total)
        return cells.result()

    return compute


def _sessions(query: Query) -> Result:
    cells = Cells(query, [k.value for k in ActivityKind], "count")
    for commune, kind in _activities(query).values_list("commune_id", "kind"):
        cells.add(query.rows[commune], kind if query.breakdown == "activity_kind" else None, 1)
    return cells.result()


def _attendee_keys(query: Query) -> list[Part]:
    if query.breakdown == "sex":
        return [("M", "male", True), ("F", "female", True)]
    by_sex: list[Part] = [("", "male", True), ("", "female", True)]
    if query.breakdown == "age_group":
        # The age groups split the total only where they were recorded; the total is by sex.
        return by_sex + [(key, name, False) for name, key in AGE_FIELDS]
    return by_sex


def _material_keys(query: Query) -> list[Part]:
    key = query.breakdown == "material"
    return [(name if key else "", name, True) for name, _label in MATERIAL_FIELDS]


def done_vs_planned(query: Query) -> Result:
    """Planned activities whose end falls in the period: how many of them were held."""
    place = Placement(query)
    cells = Cells(query, [k.value for k in ActivityKind], "share")
    lines = PlannedActivity.objects.filter(
        ends_on__range=(query.period.start, query.period.end)
    ).values_list("unit__path", "kind", "quantity", "starts_on", "ends_on")
    for path, kind, quantity, first, last in lines:
        counted, row = place.place(path)
        if not counted:
            continue
        held = Activity.objects.filter(
            kind=kind, held_on__range=(first, last), commune__path__startswith=path
        ).count()
        key = kind if query.breakdown == "activity_kind" else None
        cells.add(row, key, min(held, quantity), quantity)
    return cells.result()


# --- registration -------------------------------------------------------------------------------


def _choices(choices: Any) -> Callable[[], list[tuple[str, Any]]]:
    return lambda: [(str(value), label) for value, label in choices]


BREAKDOWNS = (
    registry.Breakdown("audience", _("Audience"), _choices(Audience.choices)),
    registry.Breakdown("activity_kind", _("Kind of activity"), _choices(ActivityKind.choices)),
    registry.Breakdown("material", _("Material"), lambda: list(MATERIAL_FIELDS)),
)


def _indicator(
    code: str,
    name: Any,
    group: str,
    order: int,
    kind: Any,
    compute: Any,
    *,
    breakdowns: tuple[str, ...] = (),
    definition: Any = "",
) -> registry.Indicator:
    return registry.Indicator(
        code=code,
        name=name,
        group=group,
        kind=kind,
        compute=compute,
        breakdowns=breakdowns,
        order=order,
        definition=definition,
        live=True,
    )  # fmt: skip


def all_indicators() -> list[registry.Indicator]:
    """Return the programme's indicators."""
    return [
        _indicator(
            "TRAIN_STAFF_SHARE",
            _("Staff doing treatment / post-rehab work trained"),
            "training",
            10,
            "share",
            trained_share,
            definition=_(
                "Staff with a case role in the unit and registered volunteers who attended a "
                "course of a listed topic ending in the training window, of all of them"
            ),
        ),
        _indicator(
            "TRAIN_CLASSES",
            _("Training classes held"),
            "training",
            20,
            "count",
            classes,
            breakdowns=("audience",),
        ),
        _indicator(
            "ACT_COMMUNES_REACHED",
            _("Communes reached by communication activities"),
            "communication",
            10,
            "share",
            communes_reached,
        ),
        _indicator(
            "ACT_SESSIONS",
            _("Communication and prevention activities held"),
            "communication",
            20,
            "count",
            _sessions,
            breakdowns=("activity_kind",),
        ),
        _indicator(
            "ACT_ATTENDEES",
            _("Attendees of communication activities"),
            "communication",
            30,
            "count",
            _summed(_attendee_keys),
            breakdowns=("sex", "age_group"),
        ),
        _indicator(
            "ACT_MATERIALS",
            _("Communication materials distributed"),
            "communication",
            40,
            "count",
            _summed(_material_keys),
            breakdowns=("material",),
        ),
        _indicator(
            "ACT_DONE_VS_PLANNED",
            _("Planned activities held"),
            "communication",
            50,
            "share",
            done_vs_planned,
            breakdowns=("activity_kind",),
        ),
    ]


def register() -> None:
    """Register the programme's groups, breakdowns and indicators."""
    for group in GROUPS:
        registry.register_group(group)
    for breakdown in BREAKDOWNS:
        registry.register_breakdown(breakdown)
    for indicator in all_indicators():
        registry.register(indicator)
