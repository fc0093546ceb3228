"""Small things users found on the figures pages and the report (issue 25, after its first
round): one limit for a period of one's own, the half-year asked only for a half-year,
readable sheet names, and one way to write a percentage ("≥ 70%").

hoa supervises province 98 (tests/conftest.py).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from reports import dashboard, registry, sheets, tables
from reports.export_forms import ReportForm
from reports.filters import FiguresForm
from reports.plans import TargetValue
from reports.registry import Cell, Group
from services.methadone import charts as methadone_charts
from services.methadone.figures import Bucket
from tests.conftest import World

# --- one limit for a period of one's own -------------------------------------------------------


def _report_form(world: World, **data: str) -> ReportForm:
    values = {"unit": str(world.units["province"].pk), "format": "xlsx", **data}
    return ReportForm(values, units=[world.units["province"]])


def _custom(start: datetime.date, end: datetime.date) -> dict[str, str]:
    return {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}


def test_the_dashboard_and_the_report_allow_the_same_longest_period(world: World) -> None:
    """Both said "at most N years" and meant 3 (the dashboard) and 5 (the report)."""
    start = datetime.date(2022, 1, 1)
    longest = start + datetime.timedelta(days=tables.CUSTOM_MAX_DAYS - 1)
    too_long = start + datetime.timedelta(days=tables.CUSTOM_MAX_DAYS)
    four_years = datetime.date(2025, 12, 31)
    for end, ok in [(longest, True), (too_long, False), (four_years, False)]:
        figures = FiguresForm({"period": "custom", **_custom(start, end)})
        report = _report_form(world, period_kind="custom", **_custom(start, end))
        assert (figures.is_valid(), report.is_valid()) == (ok, ok), end
        if not ok:
            assert figures.errors["end"] == report.errors["end"]
    figures = FiguresForm({"period": "custom", **_custom(start, too_long)})
    assert not figures.is_valid()
    # Both forms say the limit under the field.
    assert FiguresForm().fields["end"].help_text == ReportForm(units=[]).fields["end"].help_text
    with translation.override("en"):
        assert "three years" in str(FiguresForm().fields["end"].help_text)


def test_a_reversed_period_is_refused_with_the_same_words_on_both_pages(world: World) -> None:
    start, end = datetime.date(2025, 6, 30), datetime.date(2025, 1, 1)
    figures = FiguresForm({"period": "custom", **_custom(start, end)})
    report = _report_form(world, period_kind="custom", **_custom(start, end))
    assert not figures.is_valid() and not report.is_valid()
    assert figures.errors["end"] == report.errors["end"]
    assert report["start"].value() == "30/06/2025"  # the input is kept


# --- the half-year only for a half-year ------------------------------------------------------


def test_a_year_or_a_custom_period_needs_no_half_year(world: World) -> None:
    year = _report_form(world, period_kind="year", year="2025")
    assert year.is_valid(), year.errors
    custom = _report_form(
        world,
        period_kind="custom",
        **_custom(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)),
    )
    assert custom.is_valid(), custom.errors
    assert not ReportForm(units=[]).fields["half"].required
    # A half-year without its half is still refused, under that field.
    half = _report_form(world, period_kind="half_year", year="2025")
    assert not half.is_valid() and list(half.errors) == ["half"]
    assert _report_form(world, period_kind="half_year", year="2025", half="2").is_valid()


# --- sheet names -------------------------------------------------------------------------------


def test_long_names_are_cut_after_a_whole_word_and_made_unique() -> None:
    name = "Người nghiện có hồ sơ quản lý được điều trị"  # 43 characters
    assert sheets.shorten(name) == "Người nghiện có hồ sơ quản lý"
    assert sheets.shorten("Tỷ lệ: [A/B]*?") == "Tỷ lệ A B"
    titles = sheets.unique_titles([name, name, "bìa"], reserved=["Bìa"])
    assert titles == ["Người nghiện có hồ sơ quản lý", "Người nghiện có hồ sơ quản (2)", "bìa (2)"]
    assert all(len(t) <= sheets.MAX for t in titles)
    groups = [
        Group("a", "Nhóm có một tên rất dài hơn ba mươi mốt ký tự", 1, "Nhóm A"),
        Group("b", "Nhóm B", 2),
    ]
    assert sheets.group_titles(groups) == {"a": "Nhóm A", "b": "Nhóm B"}


def test_the_reports_sheets_have_readable_unique_names(world: World, settings: Any) -> None:
    """The real groups' sheets, in Vietnamese: "Người sử dụng trái phép chất ma" was one."""
    settings.HOA_NHAP_REPORT_BACKGROUND_ABOVE = 10_000  # sent at once, not built in the worker
    response = world.client("hoa").get(
        "/figures/report/",
        {
            "unit": str(world.units["province"].pk),
            "format": "xlsx",
            "period_kind": "year",
            "year": "2025",
        },
    )
    assert response.status_code == 200
    titles = load_workbook(io.BytesIO(response.content)).sheetnames
    assert "Người sử dụng ma túy" in titles
    assert len({t.casefold() for t in titles}) == len(titles)
    with translation.override("vi"):
        for group in registry.groups():
            title = sheets.shorten(str(group.short_name or group.name))
            assert title in titles
            # Every word of a title is a whole word of the group's name or short name.
            words = set(str(group.name).split()) | set(str(group.short_name).split())
            assert set(title.split()) <= words, title
    assert all(len(t) <= 31 for t in titles)


# --- one way to write a percentage: "≥ 70%" ------------------------------------------------------

SHARE = registry.Indicator("T", "T", "treatment", "share", lambda q: {})


@pytest.mark.parametrize(
    ("value", "kind", "comparison", "expected"),
    [
        ("70", "share", "at_least", "≥ 70%"),
        ("80", "share", "more_than", "> 80%"),
        ("41.13", "share", "at_least", "≥ 41,13%"),
        ("40", "count", "at_most", "≤ 40"),
    ],
)
def test_a_target_reads_the_vietnamese_way(
    value: str, kind: Any, comparison: Any, expected: str
) -> None:
    target = TargetValue(Decimal(value), kind, comparison, "30/KH-UBND")
    with translation.override("vi"):
        assert dashboard.target_text(SHARE, target) == expected


def test_figures_and_chart_labels_write_percent_without_a_space() -> None:
    with translation.override("vi"):
        assert dashboard.figure(SHARE, Cell(29, 40)).text == "72,5%"
    buckets = [Bucket(0, 50, 1), Bucket(50, 80, 1), Bucket(95, None, 1)]
    labels = [methadone_charts.bucket_label(b) for b in buckets]
    assert labels == ["< 50%", "50–79%", "≥ 95%"]
