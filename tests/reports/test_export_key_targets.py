"""The report's XLSX and CSV show each breakdown key's own target beside its value.

Issue 25 item 2: a plan sets targets per provider sector (Lào Cai 2.3: the social-affairs
sector treats 1,650 = 41.13%); the report put only the total's target beside the total, so a
sector's column had no target. Test indicators of tests/reports/export_support.py (TEST_COUNT
has the "sex" breakdown; its total in province 98 is 35: F 16, M 19).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports import export
from tests.conftest import World
from tests.reports.export_support import test_indicators  # noqa: F401
from tests.reports.plan_fixtures import make_plan, make_target


def _report(world: World) -> export.Report:
    province = world.units["province"]
    plan = make_plan(province, first_year=2026, last_year=2026)
    common = {"indicator": "TEST_COUNT", "year": 2026, "kind": "count"}
    make_target(plan, value=Decimal("30"), **common)
    make_target(plan, value=Decimal("16.5"), breakdown="sex", key="F", **common)
    # A key target of another unit's plan row is not the province's: the district's own.
    district = world.units["d1"]
    make_target(plan, unit=district, value=Decimal("2"), breakdown="sex", key="F", **common)
    return export.report_build(
        viewer=world.users["hoa"],
        unit=province,
        periods=export.periods_for("half_year", year=2026, half=1),
        breakdowns=("sex",),
        sharing=False,
    )


@pytest.mark.usefixtures("test_indicators")
def test_xlsx_puts_each_keys_target_beside_its_value(world: World) -> None:
    book = load_workbook(io.BytesIO(export.to_xlsx(_report(world))))
    rows = [list(r) for r in book["Nhóm A"].iter_rows(values_only=True)]
    header = rows[1]
    total = next(r for r in rows if r and r[0] == "Tổng: Tỉnh Kiểm Thử")
    line = dict(zip(header, total, strict=False))
    by_column = {header[i]: (total[i], total[i + 1]) for i in range(1, len(header), 4) if header[i]}
    assert by_column["6 tháng đầu năm 2026"] == (35, "≥ 30")
    assert by_column["6 tháng đầu năm 2026 · Nữ"] == (16, "≥ 16.5")
    assert by_column["6 tháng đầu năm 2026 · Nam"] == (19, None)  # no target for men
    assert line["Đơn vị"] == "Tổng: Tỉnh Kiểm Thử"
    # Unit rows carry no target (the plan's targets are the report unit's).
    district = next(r for r in rows if r and r[0] == "Huyện Một")
    assert district[2] is None


@pytest.mark.usefixtures("test_indicators")
def test_csv_puts_each_keys_target_on_its_line(world: World) -> None:
    text = export.to_csv(_report(world)).decode("utf-8-sig")
    lines = [
        r
        for r in csv.DictReader(io.StringIO(text))
        if r["indicator"] == "TEST_COUNT" and r["unit"] == "Tỉnh Kiểm Thử"
    ]
    targets = {r["breakdown_key"]: (r["target"], r["plan"]) for r in lines}
    assert targets[""] == ("≥ 30", "30/KH-UBND")
    assert targets["F"] == ("≥ 16.5", "30/KH-UBND")
    assert targets["M"] == ("", "")


def test_tx_sector_shows_the_social_affairs_sectors_target_in_its_column(world: World) -> None:
    """The real indicator, as Lào Cai's plan 2.3 sets it: TX_SECTOR for sector "Xã hội"
    at least 41.13%; the sector's column of the total row shows it, the other sector's
    column none."""
    province = world.units["province"]
    plan = make_plan(province, first_year=2026, last_year=2026)
    make_target(
        plan,
        indicator="TX_SECTOR",
        year=2026,
        kind="share",
        value=Decimal("41.13"),
        breakdown="sector",
        key="Xã hội",
    )
    report = export.report_build(
        viewer=world.users["hoa"],
        unit=province,
        periods=export.periods_for("half_year", year=2026, half=1),
        breakdowns=("sector",),
        sharing=False,
    )
    book = load_workbook(io.BytesIO(export.to_xlsx(report)))
    sheet = next(
        [list(r) for r in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
        if any(str(r[0]).startswith("TX_SECTOR") for r in book[name].iter_rows(values_only=True))
    )
    start = next(i for i, r in enumerate(sheet) if str(r[0]).startswith("TX_SECTOR"))
    header = sheet[start + 1]
    total = next(r for r in sheet[start:] if r[0] == "Tổng: Tỉnh Kiểm Thử")
    targets = {header[i]: total[i + 1] for i in range(1, len(header), 4) if header[i]}
    assert targets["6 tháng đầu năm 2026 · Xã hội"] == "≥ 41.13%"
    assert targets["6 tháng đầu năm 2026 · Y tế"] is None
    assert targets["6 tháng đầu năm 2026"] is None  # the plan sets no total target here
