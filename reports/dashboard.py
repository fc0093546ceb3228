"""Read the dashboard's figures for a viewer: the unit asked for, its tables, the people behind.

The selectors of ``/figures/``. Which unit a viewer may look at is decided here: any unit of
their own province (figures outside their scope unit's subtree come through small-cell
suppression, ``suppression.protect``); a unit of another province, or a code nobody
knows, is refused with a ``denied`` event and a 404. Figures themselves come from
``tables.build_table``; nothing here counts people. The people behind a number are the
indicator's ``people()`` the viewer may also see (``cases.access.visible_people``), and
listing them is recorded like any list of people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.capabilities import can
from audit import actions as audit
from cases import access, selectors
from cases import capabilities as caps
from cases.events import CaseAction
from cases.models import UNIT_CODE_RE, AdministrativeUnit, Person, Reorganisation

from . import charts, oldmap, plans, registry, suppression, tables
from .indicators import engine
from .plans import TargetValue
from .registry import Cell, Group, Indicator, Period, Query
from .suppression import province_path, small_cell_k
from .tables import Table

# Quarters in the trend chart.
TREND_QUARTERS = 8
PEOPLE_PER_PAGE = 50

# (indicator code, row unit code or None, breakdown key or None) → the people list's URL.
PeopleUrl = Callable[[str, str | None, str | None], str]


# --- the unit ------------------------------------------------------------------------------


def unit_for_figures(viewer: access.AnyUser, code: str | None) -> AdministrativeUnit:
    """Return the unit the viewer asked for (their scope unit when none), else deny and 404.

    Any unit of the viewer's province may be looked at; another province's, or an unknown
    code, is refused: a ``denied`` event naming the code, and Http404.
    """
    home = access.figures_unit(viewer)
    if home is None:
        raise Http404
    if not code:
        return home
    well_formed = len(code) <= 10 and re.fullmatch(UNIT_CODE_RE, code) is not None
    found = (
        AdministrativeUnit.objects.filter(code=code, path__startswith=province_path(home)).first()
        if well_formed
        else None
    )
    if found is None:
        # A malformed code (a NUL byte, a long string) is named by what it is, not echoed.
        access.deny(
            viewer,
            "figures",
            object_type="administrativeunit",
            object_id=code if well_formed else "malformed",
        )
        raise Http404
    return found


def in_own_scope(viewer: access.AnyUser, unit: AdministrativeUnit) -> bool:
    """Return whether the unit is the viewer's scope unit or below it."""
    home = access.figures_unit(viewer)
    return home is not None and unit.path.startswith(home.path)


def breadcrumb(viewer: access.AnyUser, unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """Return the units from the viewer's scope unit (or the province, when the unit lies
    outside that scope) down to ``unit``, top first."""
    home = access.figures_unit(viewer)
    codes = unit.path.strip("/").split("/")
    chain = list(AdministrativeUnit.objects.filter(code__in=codes).order_by("path"))
    if home is not None and unit.path.startswith(home.path):
        chain = [u for u in chain if u.path.startswith(home.path)]
    return chain


def children_of(unit: AdministrativeUnit) -> list[tables.Row]:
    """Return the units a drill-down leads to (none for a commune)."""
    rows, _communes = tables.child_rows(unit)
    return [row for row in rows if row.unit_id != unit.pk]


# --- one figure as shown ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A cell as the page shows it."""

    text: str  # "72,5%", "145", "12 ngày", "< 5" or "—"
    detail: str = ""  # "145 / 200" for a share
    number: float | None = None  # for a chart: percent, count or days; None when hidden
    url: str | None = None  # the people behind it, when the viewer may list them
    suppressed: bool = False


@dataclass(frozen=True)
class Status:
    code: str  # "met", "not_met", "no_target", "hidden"
    label: str


def _num(value: float | int | Decimal, digits: int = 0) -> str:
    # Rounded here: number_format cuts the digits off a float (66.67 would read 66,6).
    rounded = round(Decimal(str(value)), digits)
    return str(formats.number_format(rounded, digits, use_l10n=True, force_grouping=True))


def percent(value: float | int | Decimal, digits: int = 1) -> str:
    """Return a percentage as the pages write it, Vietnamese style: "72,5%" (no space)."""
    return f"{_num(value, digits)}%"


def target_text(indicator: Indicator, target: TargetValue | None) -> str | None:
    """Return the target as text: "≥ 70%", "> 80%", "≥ 41,13%", "≤ 10%", "≥ 1.200"."""
    if target is None:
        return None
    sign = {"at_least": "≥", "more_than": ">", "at_most": "≤"}[target.comparison]
    # As many decimals as the plan wrote (41.13 stays 41,13), none for a whole number.
    exponent = target.value.normalize().as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    if target.kind == "share":
        return f"{sign} {percent(target.value, digits)}"
    return f"{sign} {_num(target.value, digits)}"


def _number(indicator: Indicator, cell: Cell) -> float | None:
    if indicator.kind == "share":
        share = cell.share
        return None if share is None else share * 100
    if indicator.kind == "median":
        return cell.value
    return float(cell.numerator)


def figure(
    indicator: Indicator, cell: Cell | None, *, suppressed: bool = False, url: str | None = None
) -> Figure:
    """Return how a cell is shown (``suppressed``: as "< k", with nothing that recovers it)."""
    if suppressed:
        return Figure(f"< {small_cell_k()}", suppressed=True)
    if cell is None:
        return Figure("—")
    number = _number(indicator, cell)
    link = url if cell.numerator > 0 else None
    if indicator.kind == "share":
        text = "—" if number is None else percent(number)
        detail = f"{_num(cell.numerator)} / {_num(cell.denominator or 0)}"
        return Figure(text, detail, number, link)
    if indicator.kind == "median":
        if number is None:
            return Figure("—", "", None, None)
        days = _("%(days)s days") % {"days": _num(number, 1)}
        return Figure(days, _("of %(n)s") % {"n": _num(cell.numerator)}, number, link)
    return Figure(_num(cell.numerator), "", number, link)


def status_of(indicator: Indicator, table: Table) -> Status:
    """Return whether the table's total meets its target, in words (not colour alone)."""
    return judge(indicator, table, table.target, None)


def judge(
    indicator: Indicator, table: Table, target: TargetValue | None, key: str | None
) -> Status:
    """Return whether the table's total of ``key`` (None: the total) meets ``target``."""
    if target is None:
        return Status("no_target", _("No target"))
    cell = table.cell(None, key)
    if (None, key) in table.suppressed or cell is None:
        return Status("hidden", _("Not shown"))
    # A share indicator may carry a count target ("1,650 people = 41.13%"): judged on the
    # people counted, not on the percentage.
    counted = target.kind == "count" and indicator.kind == "share"
    actual = float(cell.numerator) if counted else _number(indicator, cell)
    if actual is None:
        return Status("hidden", _("No figure"))
    wanted = float(target.value)
    met = {
        "at_least": actual >= wanted,
        "more_than": actual > wanted,
        "at_most": actual <= wanted,
    }[target.comparison]
    return Status("met", _("Met")) if met else Status("not_met", _("Not met"))


# --- targets of one breakdown value (Lào Cai 2.3: the social-affairs sector) ----------------


@dataclass(frozen=True)
class KeyLine:
    """A breakdown value with a target of its own: its figure beside the target."""

    label: str  # "Provider sector: Xã hội"
    figure: Figure
    target: str
    status: Status
    plan_number: str


KeyTargets = dict[tuple[str, str], TargetValue]


def key_label(breakdown: str, key: str) -> str:
    """Return a breakdown value as read: "Provider sector: Xã hội"."""
    try:
        found = registry.breakdown(breakdown)
    except KeyError:
        return f"{breakdown}: {key}"
    labels = {k: str(label) for k, label in found.columns()}
    return f"{found.name}: {labels.get(key, key)}"


def key_tables(
    indicator: Indicator,
    unit: AdministrativeUnit,
    period: Period,
    table: Table,
    wanted: KeyTargets,
) -> dict[str, Table]:
    """Return a table by breakdown for the key targets: ``table`` itself when it has that
    breakdown, else one more table (to be protected with the others before it is read)."""
    found: dict[str, Table] = {}
    for breakdown, _key in sorted(wanted):
        if breakdown in found or breakdown not in indicator.breakdowns:
            continue
        found[breakdown] = (
            table
            if table.breakdown == breakdown
            else tables.build_table(indicator, unit, period, breakdown)
        )
    return found


def key_lines(
    viewer: access.AnyUser,
    indicator: Indicator,
    wanted: KeyTargets,
    by_breakdown: dict[str, Table],
    main: Table,
    people_url: PeopleUrl | None = None,
) -> list[KeyLine]:
    """Return each key target with the key's figure (from the protected tables) and status.

    Only a key of ``main`` (the table of the breakdown asked for) links to its people: the
    people page reads the breakdown from the request.
    """
    lines = []
    for (breakdown, key), target in sorted(wanted.items()):
        table = by_breakdown.get(breakdown)
        if table is None:
            continue  # a breakdown the indicator no longer offers
        lines.append(
            KeyLine(
                label=key_label(breakdown, key),
                figure=cell_figure(viewer, table, None, key, people_url if table is main else None),
                target=target_text(indicator, target) or "",
                status=judge(indicator, table, target, key),
                plan_number=target.plan_number,
            )
        )
    return lines


# --- the dashboard -------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One indicator on the dashboard: its total, target and status, and its table."""

    indicator: Indicator
    table: Table
    total: Figure
    target: str | None
    status: Status
    # The total of each breakdown column of the group (a key the indicator lacks: "—").
    by_key: list[tuple[tables.Column, Figure]]
    breakdown_used: bool
    # Breakdown values with targets of their own (the social-affairs sector's 41.13%).
    key_lines: list[KeyLine] = field(default_factory=list)


@dataclass
class GroupView:
    group: Group
    lines: list[Line] = field(default_factory=list)
    columns: list[tables.Column] = field(default_factory=list)


def may_list_people(viewer: access.AnyUser) -> bool:
    """Return whether the viewer may open the people behind a number at all."""
    return can(viewer, caps.PERSON_VIEW)


def _linker(
    viewer: access.AnyUser, table: Table, people_url: PeopleUrl | None
) -> Callable[[int | None, str | None], str | None]:
    """Return the people link of a cell, or None where the viewer may not list them: no
    list for the indicator, a role that sees no people, a row outside the viewer's scope."""
    indicator = table.indicator
    if people_url is None or indicator.people is None or not may_list_people(viewer):
        return lambda row, key: None
    codes = {row.unit_id: row.code for row in table.rows}
    home = access.figures_unit(viewer)
    own = home is not None and table.unit.path.startswith(home.path)

    def link(row: int | None, key: str | None) -> str | None:
        if (row, key) in table.suppressed or not own:
            return None
        return people_url(indicator.code, codes.get(row) if row is not None else None, key)

    return link


def cell_figure(
    viewer: access.AnyUser,
    table: Table,
    row: int | None,
    key: str | None,
    people_url: PeopleUrl | None = None,
) -> Figure:
    """Return the figure of one cell of a table, with its people link where allowed."""
    link = _linker(viewer, table, people_url)(row, key)
    return figure(
        table.indicator, table.cell(row, key), suppressed=(row, key) in table.suppressed, url=link
    )


def dashboard(
    *,
    viewer: access.AnyUser,
    unit: AdministrativeUnit,
    period: Period,
    breakdown: str | None,
    people_url: PeopleUrl | None = None,
    old_map: Reorganisation | None = None,
) -> list[GroupView]:
    """Return every indicator for the unit and period, grouped as the registry groups them.

    ``old_map``: show the period on the map before that reorganisation (``reports.oldmap``,
    D57): the rows are the units of that time, counted live; targets by breakdown value are
    of today's units and are left out.
    """
    built: list[Table] = []
    by_key: dict[str, dict[str, Table]] = {}
    placed = None
    if old_map is None:
        wanted = plans.key_targets(unit, period)
        layout = tables.child_rows(unit)
    else:
        wanted = {}
        old = oldmap.layout(unit, period, old_map)
        layout, placed = (old.rows, old.communes), old.people
    with tables.without_jit():
        for indicator in registry.indicators():
            used = breakdown if breakdown in indicator.breakdowns else None
            built += tables.build_tables(
                indicator, unit, period, [used], layout=layout, placed=placed
            ).values()
            if indicator.code in wanted:
                by_key[indicator.code] = key_tables(
                    indicator, unit, period, built[-1], wanted[indicator.code]
                )
        extra = [t for found in by_key.values() for t in found.values() if t not in built]
        suppression.protect(viewer, built + extra, sharing=False)
    views = {group.code: GroupView(group) for group in registry.groups()}
    for table in built:
        view = views[table.indicator.group]
        for column in table.columns:
            if column.key not in {c.key for c in view.columns}:
                view.columns.append(column)
    for table in built:
        view = views[table.indicator.group]
        indicator = table.indicator
        view.lines.append(
            Line(
                indicator=indicator,
                table=table,
                total=cell_figure(viewer, table, None, None, people_url),
                target=target_text(indicator, table.target),
                status=status_of(indicator, table),
                by_key=[
                    (c, cell_figure(viewer, table, None, c.key, people_url)) for c in view.columns
                ],
                breakdown_used=table.breakdown is not None,
                key_lines=key_lines(
                    viewer,
                    indicator,
                    wanted.get(indicator.code, {}),
                    by_key.get(indicator.code, {}),
                    table,
                    people_url,
                ),
            )
        )
    return [view for view in views.values() if view.lines]


# --- one indicator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowView:
    row: tables.Row
    figure: Figure
    by_key: list[tuple[tables.Column, Figure]]
    drill: bool  # the row is a unit with units below it


@dataclass(frozen=True)
class IndicatorView:
    table: Table
    rows: list[RowView]
    total: Figure
    total_by_key: list[tuple[tables.Column, Figure]]
    target: str | None
    status: Status
    units_chart: SafeString
    trend: list[tuple[str, Figure]]
    trend_chart: SafeString
    key_lines: list[KeyLine] = field(default_factory=list)


def indicator_detail(
    *,
    viewer: access.AnyUser,
    indicator: Indicator,
    unit: AdministrativeUnit,
    period: Period,
    breakdown: str | None,
    people_url: PeopleUrl | None = None,
) -> IndicatorView:
    """Return one indicator by the unit's children, with its charts and its quarterly trend."""
    used = breakdown if breakdown in indicator.breakdowns else None
    quarters = tables.quarters_before(period.end, TREND_QUARTERS)
    layout = tables.child_rows(unit)
    with tables.without_jit():
        built = [tables.build_tables(indicator, unit, period, [used], layout=layout)[used]]
        built += [
            tables.build_tables(indicator, unit, q, [None], layout=layout)[None] for q in quarters
        ]
        wanted = plans.key_targets(unit, period, [indicator.code]).get(indicator.code, {})
        by_key = key_tables(indicator, unit, period, built[0], wanted)
        extra = [t for t in by_key.values() if t is not built[0]]
        suppression.protect(viewer, built + extra, sharing=False)
    table, trend_tables = built[0], built[1:]
    from cases.choices import UnitLevel

    rows = [
        RowView(
            row,
            cell_figure(viewer, table, row.unit_id, None, people_url),
            [
                (c, cell_figure(viewer, table, row.unit_id, c.key, people_url))
                for c in table.columns
            ],
            drill=row.unit_id != unit.pk and unit.level != UnitLevel.COMMUNE,
        )
        for row in table.rows
    ]
    goal = target_text(indicator, table.target)
    share = indicator.kind == "share"
    # The charts plot percentages: a count target of a share indicator has no place on them.
    on_scale = table.target is not None and not (share and table.target.kind == "count")
    goal_value = float(table.target.value) if table.target is not None and on_scale else None
    units_svg = charts.units_chart(
        [charts.Bar(r.row.label, r.figure.number, r.figure.text) for r in rows],
        title=_("%(indicator)s by unit, %(period)s")
        % {
            "indicator": indicator.name,
            "period": tables.period_label(period),
        },
        target=goal_value,
        target_text=goal,
        share=share,
    )
    trend = [
        (tables.period_label(t.period), cell_figure(viewer, t, None, None)) for t in trend_tables
    ]
    trend_svg = charts.trend_chart(
        [
            charts.Bar(_short_quarter(t.period), f.number, f.text)
            for (_l, f), t in zip(trend, trend_tables, strict=True)
        ],
        title=_("%(indicator)s by quarter, %(unit)s")
        % {
            "indicator": indicator.name,
            "unit": unit.name,
        },
        target=goal_value,
        target_text=goal,
        share=share,
    )
    return IndicatorView(
        table=table,
        rows=rows,
        total=cell_figure(viewer, table, None, None, people_url),
        total_by_key=[
            (c, cell_figure(viewer, table, None, c.key, people_url)) for c in table.columns
        ],
        target=goal,
        status=status_of(indicator, table),
        units_chart=units_svg,
        trend=trend,
        trend_chart=trend_svg,
        key_lines=key_lines(viewer, indicator, wanted, by_key, table, people_url),
    )


def _short_quarter(period: Period) -> str:
    return f"Q{(period.start.month - 1) // 3 + 1}/{period.start:%y}"


# --- the people behind a number ------------------------------------------------------------


@dataclass(frozen=True)
class PeopleList:
    page: Page[Person]
    masked: set[UUID]
    row: AdministrativeUnit | None
    key: str | None


def _keys_of(breakdown: str) -> list[str]:
    try:
        return registry.breakdown_keys(breakdown)
    except KeyError:  # offered by an indicator, registered by no app: no key is valid
        return []


def people_behind(
    *,
    viewer: access.AnyUser,
    indicator: Indicator,
    unit: AdministrativeUnit,
    period: Period,
    breakdown: str | None,
    row_code: str | None,
    key: str | None,
    page: str | None,
) -> PeopleList:
    """Return the people counted in one cell whom the viewer may see, a page at a time, and
    record whom the page showed.

    Refused (Http404, no event: the unit was already checked and nothing about a person was
    asked) when the indicator has no list, the row is not a row of the unit, or the breakdown
    or key is not the indicator's.
    """
    if indicator.people is None or not may_list_people(viewer):
        raise Http404
    if breakdown is not None and breakdown not in indicator.breakdowns:
        raise Http404
    # A key is one of the breakdown's own (sector keys are names with spaces: "Y tế").
    if key is not None and (breakdown is None or key not in _keys_of(breakdown)):
        raise Http404
    rows, communes = tables.child_rows(unit)
    row_id: int | None = None
    row_unit: AdministrativeUnit | None = None
    if row_code:
        match = [r for r in rows if r.code == row_code]
        if not match:
            raise Http404
        row_id = match[0].unit_id
        row_unit = AdministrativeUnit.objects.get(pk=row_id)
    # Counted where they lived on the period's last day, as the figure (D50).
    with engine.on_period_end(Query(communes, period, breakdown)) as query:
        counted = indicator.people(query, row_id, key)
    people = (
        access.visible_people(viewer)
        .filter(pk__in=counted.values("pk"))
        .select_related("residence_commune")
        .order_by("residence_commune__path", "pk")
    )
    shown = Paginator(people, PEOPLE_PER_PAGE).get_page(page)
    ids = [person.pk for person in shown]
    audit.record(
        actor=viewer,
        action=CaseAction.PEOPLE_LIST,
        detail={
            "list": "figures",
            "indicator": indicator.code,
            "unit": unit.code,
            "period": [period.start.isoformat(), period.end.isoformat()],
            "people": sorted(str(pk) for pk in ids),
        },
    )
    masked = selectors.masked_people(viewer=viewer, person_ids=ids)
    return PeopleList(shown, masked, row_unit, key)
