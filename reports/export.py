"""The 6-monthly and annual report: every indicator of a unit as XLSX or CSV.

Building (:func:`report_build`: tables computed, targets attached, small-cell suppression
applied for the viewer) is apart from writing (:func:`to_xlsx`, :func:`to_csv`) and from the
action that does both and records the export (:func:`report_export`), so a background task
can run the same function as the page does.

XLSX: a cover sheet (plans, unit, period, "as of", whether for sharing, what "< k" and "x"
mean), one sheet per indicator group (a block per indicator: units as rows, periods and
breakdown columns as columns, value, target, numerator, denominator), a definitions sheet.
CSV: one long file (one line per indicator, unit, period and breakdown key) with a UTF-8
byte-order mark, so a spreadsheet opens Vietnamese right. Every text cell that a
spreadsheet would run as a formula (beginning with = + - @, a tab or a carriage return) is
written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Literal

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import AnyUser
from audit.actions import record
from cases.models import AdministrativeUnit, Reorganisation

from . import oldmap, plans, registry, rollup, sheets, suppression
from .events_export import ExportAction
from .plans import TargetValue
from .registry import Cell, Indicator, Period
from .tables import Column, Table, Targets, build_tables, child_rows, without_jit

PeriodKind = Literal["half_year", "year", "custom"]
Format = Literal["xlsx", "csv"]

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class LabelledPeriod:
    label: str
    period: Period


def periods_for(
    kind: PeriodKind,
    *,
    year: int,
    half: int = 1,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[LabelledPeriod]:
    """Return the report's periods: a half-year; a year with its two halves; or a range."""
    first = LabelledPeriod(
        _("First six months of %(year)s") % {"year": year},
        Period(datetime.date(year, 1, 1), datetime.date(year, 6, 30)),
    )
    second = LabelledPeriod(
        _("Last six months of %(year)s") % {"year": year},
        Period(datetime.date(year, 7, 1), datetime.date(year, 12, 31)),
    )
    if kind == "half_year":
        return [first if half == 1 else second]
    if kind == "year":
        whole = Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        return [first, second, LabelledPeriod(_("Year %(year)s") % {"year": year}, whole)]
    if start is None or end is None:
        raise ValueError("a custom period needs a start and an end")
    label = f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
    return [LabelledPeriod(label, Period(start, end))]


@dataclass
class Report:
    """What a report holds once built: tables already suppressed where they must be."""

    unit: AdministrativeUnit
    periods: list[LabelledPeriod]
    breakdowns: tuple[str, ...]
    sharing: bool
    k: int
    as_of: datetime.datetime
    tables: list[Table] = field(default_factory=list)
    # With a lag allowed (``reports.rollup.max_lag``): the oldest write its figures may leave
    # out, or None when they hold every write up to ``as_of``.
    complete_up_to: datetime.datetime | None = None
    # The targets of breakdown keys (a sector's own share), by year: indicator code →
    # (breakdown, key) → target (``reports.plans.key_targets``).
    key_targets: dict[int, dict[str, dict[tuple[str, str], TargetValue]]] = field(
        default_factory=dict
    )
    # The reorganisation whose old map the periods are shown on (D57); None: today's map.
    old_map: Reorganisation | None = None

    def target(self, table: Table, key: str | None) -> TargetValue | None:
        """Return the target beside the report unit's figure: the total's, or a key's."""
        if key is None:
            return table.target
        keys = self.key_targets.get(table.period.end.year, {}).get(table.indicator.code, {})
        return keys.get((table.breakdown or "", key))

    def plan_numbers(self) -> list[str]:
        return sorted({t.target.plan_number for t in self.tables if t.target is not None})

    def table(self, code: str, period: Period, breakdown: str | None) -> Table | None:
        for t in self.tables:
            if (t.indicator.code, t.period, t.breakdown) == (code, period, breakdown):
                return t
        return None


# --- building ---------------------------------------------------------------------------------


def report_build(
    *,
    viewer: AnyUser,
    unit: AdministrativeUnit,
    periods: Sequence[LabelledPeriod],
    breakdowns: Sequence[str] = (),
    sharing: bool,
    progress: Callable[[int, int], None] | None = None,
    old_map: bool = False,
) -> Report:
    """Return every registered indicator of ``unit`` for the periods, suppressed as the
    viewer must see it (``reports.suppression.protect``). Reads only: the caller records.

    ``progress(done, total)`` is called after each indicator and period, and once more
    when suppression is done (the background task shows it). ``old_map``: every period on
    the map before the latest reorganisation, when the first period started before it
    (``reports.oldmap``, D57; counted live), else on today's map."""
    k = suppression.small_cell_k()
    report = Report(
        unit=unit,
        periods=list(periods),
        breakdowns=tuple(breakdowns),
        sharing=sharing,
        k=k,
        as_of=timezone.now(),
    )
    targets: Targets = {}  # each read once per indicator and year (build_table)
    layout = child_rows(unit)
    placed: dict[Period, oldmap.OldLayout] = {}
    first = min((p.period for p in periods), key=lambda p: p.start, default=None)
    run = oldmap.reorganisation_for(first) if old_map and first is not None else None
    if run is not None:
        placed = {p.period: oldmap.layout(unit, p.period, run) for p in periods}
        layout = oldmap.same_rows(list(placed.values()))
        report.old_map = run
    if breakdowns:  # one read a year for every indicator's key targets
        for labelled in periods:
            year = labelled.period.end.year
            if year not in report.key_targets:
                report.key_targets[year] = plans.key_targets(unit, labelled.period)
    indicators = registry.indicators()
    total, done = len(indicators) * len(periods) + 1, 0
    # In the request, one transaction with the JIT off for the whole build; with progress
    # (the worker), one per step, so each step's progress commits and the page shows it.
    whole, step = (without_jit, nullcontext) if progress is None else (nullcontext, without_jit)
    with rollup.watch() as behind, whole():
        for indicator in indicators:
            wanted = [b for b in breakdowns if b in indicator.breakdowns]
            for labelled in periods:
                # One grouped query per indicator and period for all the breakdowns.
                with step():
                    built = build_tables(
                        indicator,
                        unit,
                        labelled.period,
                        [None, *wanted],
                        targets=targets,
                        layout=layout,
                        placed=placed[labelled.period].people if placed else None,
                    )
                report.tables.extend(built.values())
                done += 1
                if progress is not None:
                    progress(done, total)
        with step():
            suppression.protect(viewer, report.tables, sharing=sharing, k=k, targets=targets)
    report.complete_up_to = behind.since
    if progress is not None:
        progress(total, total)
    return report


def report_size(
    unit: AdministrativeUnit, periods: Sequence[LabelledPeriod], breakdowns: Sequence[str]
) -> int:
    """Return the report's number of tables × row units: what decides whether it is built
    in the background (``reports.files.in_background``)."""
    rows, _communes = child_rows(unit)
    tables = sum(
        len(periods) * (1 + len([b for b in breakdowns if b in indicator.breakdowns]))
        for indicator in registry.indicators()
    )
    return tables * max(len(rows), 1)


# --- writing ----------------------------------------------------------------------------------

Value = str | int | float | None


def neutralise(value: Value) -> Value:
    """Return text a spreadsheet will not run as a formula (numbers pass unchanged)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _share(cell: Cell) -> float | None:
    share = cell.share
    return None if share is None else round(share * 100, 1)


def _figures(table: Table, key: tuple[int | None, str | None], k: int) -> list[Value]:
    """Return value, numerator, denominator of one cell ("< k" / "x" when hidden)."""
    cell = table.cells.get(key)
    if key in table.suppressed:
        shown = suppression.mark(cell, k)
        return [shown, shown, shown if table.indicator.kind == "share" else None]
    if cell is None:
        return [None, None, None]
    if table.indicator.kind == "share":
        return [_share(cell), cell.numerator, cell.denominator]
    if table.indicator.kind == "median":
        return [cell.value, cell.numerator, None]
    return [cell.numerator, cell.numerator, None]


def _target(target: TargetValue | None) -> Value:
    if target is None:
        return None
    sign = {"at_least": "≥", "more_than": ">", "at_most": "≤"}[target.comparison]
    unit = "%" if target.kind == "share" else ""
    return f"{sign} {target.value.normalize():f}{unit}"


def _name(indicator: Indicator, language: str) -> str:
    with translation.override(language):
        return str(indicator.name)


def _definition(indicator: Indicator) -> str:
    return str(indicator.definition) if indicator.definition else str(indicator.name)


def _block(report: Report, indicator: Indicator) -> Iterator[list[Value]]:
    """Yield the rows of one indicator's block on its group's sheet."""
    yield [f"{indicator.code} — {indicator.name}"]
    header: list[Value] = [_("Unit")]
    layout: list[tuple[LabelledPeriod, Table, Column | None]] = []
    for labelled in report.periods:
        for breakdown in [None, *report.breakdowns]:
            table = report.table(indicator.code, labelled.period, breakdown)
            if table is None:
                continue
            columns: list[Column | None] = [None] if breakdown is None else list(table.columns)
            for column in columns:
                layout.append((labelled, table, column))
                name = labelled.label + (f" · {column.label}" if column is not None else "")
                header += [name, _("target"), _("numerator"), _("denominator")]
    yield header
    first = next((t for t in report.tables if t.indicator.code == indicator.code), None)
    rows: list[tuple[int | None, str]] = [(r.unit_id, r.label) for r in first.rows] if first else []
    for row_id, label in [*rows, (None, _("Total: %(unit)s") % {"unit": report.unit.name})]:
        line: list[Value] = [label]
        for _labelled, table, column in layout:
            value, numerator, denominator = _figures(
                table, (row_id, column.key if column else None), report.k
            )
            key = column.key if column is not None else None
            target = _target(report.target(table, key)) if row_id is None else None
            line += [value, target, numerator, denominator]
        yield line
    yield []


def to_xlsx(report: Report) -> bytes:
    """Return the report as an XLSX workbook."""
    book = Workbook(write_only=True)
    cover = book.create_sheet(sheets.shorten(_("Cover")))
    for line in _cover(report):
        cover.append([neutralise(v) for v in line])
    groups = [g for g in registry.groups() if registry.indicators(g.code)]
    titles = sheets.group_titles(groups, reserved=[str(_("Cover")), str(_("Definitions"))])
    for group in groups:
        indicators = registry.indicators(group.code)
        sheet = book.create_sheet(titles[group.code])
        for indicator in indicators:
            for line in _block(report, indicator):
                sheet.append([neutralise(v) for v in line])
    definitions = book.create_sheet(sheets.shorten(_("Definitions")))
    for line in _definitions():
        definitions.append([neutralise(v) for v in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _complete_up_to(report: Report) -> list[list[Value]]:
    """The cover's line saying up to when the figures hold every write (a lag allowed)."""
    if report.complete_up_to is None:
        return []
    moment = timezone.localtime(report.complete_up_to).strftime("%d/%m/%Y %H:%M")
    return [[_("Every change counted up to"), moment]]


def _map_line(report: Report) -> list[list[Value]]:
    if report.old_map is None:
        return []
    day = report.old_map.effective_on.strftime("%d/%m/%Y")
    return [[_("Administrative map"), _("before %(day)s (units of that time)") % {"day": day}]]


def _cover(report: Report) -> list[list[Value]]:
    periods = "; ".join(p.label for p in report.periods)
    plans = ", ".join(report.plan_numbers()) or "—"
    return [
        [_("Coverage figures report")],
        [_("Plan"), plans],
        [_("Unit"), report.unit.name],
        [_("Reporting period"), periods],
        *_map_line(report),
        [_("As of"), timezone.localtime(report.as_of).strftime("%d/%m/%Y %H:%M")],
        *_complete_up_to(report),
        [_("For sharing"), _("yes") if report.sharing else _("no")],
        [
            _("Hidden figures"),
            _(
                "“< %(k)s” is a count from 1 to %(k_1)s; “x” is a figure hidden so that "
                "no “< %(k)s” can be worked out from the totals."
            )
            % {"k": report.k, "k_1": report.k - 1},
        ],
    ]


def _definitions() -> Iterator[list[Value]]:
    yield [
        _("Indicator code"),
        _("Name (Vietnamese)"),
        _("Name (English)"),
        _("Group"),
        _("Kind"),
        _("Numerator and denominator"),
    ]
    for indicator in registry.indicators():
        yield [
            indicator.code,
            _name(indicator, "vi"),
            _name(indicator, "en"),
            indicator.group,
            indicator.kind,
            _definition(indicator),
        ]


def csv_rows(report: Report) -> Iterator[list[Value]]:
    """Yield the long CSV's rows, header first."""
    yield [
        "indicator",
        "indicator_name",
        "group",
        "kind",
        "unit_id",
        "unit",
        "period",
        "period_start",
        "period_end",
        "breakdown",
        "breakdown_key",
        "value",
        "numerator",
        "denominator",
        "target",
        "plan",
        "as_of",
    ]
    as_of = timezone.localtime(report.as_of).isoformat(timespec="seconds")
    labels = {lp.period: lp.label for lp in report.periods}
    for table in report.tables:
        rows: list[tuple[int | None, str]] = [(r.unit_id, r.label) for r in table.rows]
        rows.append((None, report.unit.name))
        keys: list[str | None] = [None, *(c.key for c in table.columns)]
        for row_id, label in rows:
            for key in keys:
                value, numerator, denominator = _figures(table, (row_id, key), report.k)
                target = report.target(table, key) if row_id is None else None
                yield [
                    table.indicator.code,
                    str(table.indicator.name),
                    table.indicator.group,
                    table.indicator.kind,
                    row_id if row_id is not None else report.unit.pk,
                    label,
                    labels.get(table.period, ""),
                    table.period.start.isoformat(),
                    table.period.end.isoformat(),
                    table.breakdown or "",
                    key or "",
                    value,
                    numerator,
                    denominator,
                    _target(target),
                    target.plan_number if target else "",
                    as_of,
                ]


def to_csv(report: Report) -> bytes:
    """Return the report as one long CSV with a UTF-8 byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in csv_rows(report):
        writer.writerow(["" if v is None else neutralise(v) for v in line])
    return ("\ufeff" + buffer.getvalue()).encode()


# --- the action -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    name: str
    content_type: str
    body: bytes


def report_export(
    *,
    actor: AnyUser,
    unit: AdministrativeUnit,
    periods: Sequence[LabelledPeriod],
    breakdowns: Sequence[str] = (),
    sharing: bool,
    fmt: Format,
    old_map: bool = False,
) -> ExportFile:
    """Build the report for ``actor``, write it as ``fmt`` and record the export.

    The unit must already be one the actor may ask figures of
    (``reports.suppression.figures_unit_for``); the figures outside their scope come out
    suppressed.
    """
    report = report_build(
        viewer=actor,
        unit=unit,
        periods=periods,
        breakdowns=breakdowns,
        sharing=sharing,
        old_map=old_map,
    )
    body = to_xlsx(report) if fmt == "xlsx" else to_csv(report)
    export_record(
        actor=actor,
        unit=unit,
        fmt=fmt,
        sharing=sharing,
        breakdowns=breakdowns,
        periods=[[p.period.start.isoformat(), p.period.end.isoformat()] for p in periods],
        tables=len(report.tables),
        suppressed_tables=sum(not t.exact for t in report.tables),
    )
    return ExportFile(file_name(unit, report.as_of, fmt), CONTENT_TYPES[fmt], body)


def file_name(unit: AdministrativeUnit, as_of: datetime.datetime, fmt: str) -> str:
    stamp = timezone.localtime(as_of).strftime("%Y%m%d-%H%M")
    return f"figures-{unit.code}-{stamp}.{fmt}"


def export_record(
    *,
    actor: AnyUser,
    unit: AdministrativeUnit,
    fmt: str,
    sharing: bool,
    breakdowns: Sequence[str],
    periods: list[list[str]],
    tables: int,
    suppressed_tables: int,
    **extra: str,
) -> None:
    """Record that a report file left the system (the page's export, or a download of one
    built in the background: ``extra`` names that file)."""
    record(
        actor=actor,
        action=ExportAction.REPORT_EXPORTED,
        obj=unit,
        detail={
            "format": fmt,
            "sharing": sharing,
            "breakdowns": list(breakdowns),
            "periods": periods,
            "tables": tables,
            "suppressed_tables": suppressed_tables,
            **extra,
        },
    )
