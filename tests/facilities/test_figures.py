"""The FAC_* indicators on the dashboard and in the 6-monthly report (hoa, the province's
supervisor, sees exact figures), on the hand-made dataset of ``test_indicators``: in H1 2025,
1 of 4 facilities meets the conditions, and 3 people stay in 15 places."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import World

from .conftest import Dataset

H1_2025 = {"period": "half", "year": "2025", "half": "1"}


@pytest.mark.django_db
def test_the_dashboard_shows_both_facility_indicators(world: World, facilities: Dataset) -> None:
    html = world.client("hoa").get("/figures/", H1_2025).content.decode()
    met = re.search(r'data-testid="line-FAC_CONDITIONS_MET">(.*?)</tr>', html, re.S)
    occupancy = re.search(r'data-testid="line-FAC_OCCUPANCY">(.*?)</tr>', html, re.S)
    assert met is not None and occupancy is not None
    assert "25,0%" in met.group(1) and "1 / 4" in met.group(1)
    assert "20,0%" in occupancy.group(1) and "3 / 15" in occupancy.group(1)


def _rows(sheet: object) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_six_monthly_report_has_the_facilities_sheet(world: World, facilities: Dataset) -> None:
    params = {
        "unit": str(world.units["province"].pk),
        "format": "xlsx",
        "period_kind": "half_year",
        "year": "2025",
        "half": "1",
    }
    response = world.client("hoa").get("/figures/report/", params)
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    assert "Cơ sở" in book.sheetnames
    rows = _rows(book["Cơ sở"])

    def line(label: str, block: str) -> list[object]:
        start = next(i for i, r in enumerate(rows) if r and block in str(r[0]))
        return next(r for r in rows[start:] if r and r[0] == label)

    total = "Tổng: Tỉnh Kiểm Thử"
    met = line(total, "FAC_CONDITIONS_MET")
    assert met[1] == 25.0 and met[3:5] == [1, 4]
    occupancy = line(total, "FAC_OCCUPANCY")
    assert occupancy[1] == 20.0 and occupancy[3:5] == [3, 15]
    assert line("Huyện Một", "FAC_OCCUPANCY")[3:5] == [3, 15]


@pytest.mark.django_db
def test_occupancy_small_counts_are_hidden_where_figures_are_shared(
    world: World, facilities: Dataset
) -> None:
    """ASVS 14.2.6 (data minimisation in shared outputs): in a report for sharing, the three
    people staying in district 981 (of 15 places) are "< 5", so a shelter's handful of
    residents is not given away; the zero rows stay as they are (zero names nobody)."""
    params = {
        "unit": str(world.units["province"].pk),
        "format": "xlsx",
        "period_kind": "half_year",
        "year": "2025",
        "half": "1",
        "sharing": "on",
    }
    response = world.client("hoa").get("/figures/report/", params)
    rows = _rows(load_workbook(io.BytesIO(response.content))["Cơ sở"])
    start = next(i for i, r in enumerate(rows) if r and "FAC_OCCUPANCY" in str(r[0]))
    district = next(r for r in rows[start:] if r and r[0] == "Huyện Một")
    assert district[1] == "< 5" and district[3] == "< 5"
    assert 3 not in district
