"""The figures report (/figures/report/): XLSX and CSV, suppression, audit, scope.

Figures come from the test indicators of tests/reports/export_support.py (province 98: rows
98001 "Phường Tỉnh", 981 "Huyện Một", 982 "Huyện Hai"; TEST_COUNT 20, 3, 12, total 35).
hoa supervises the province (exact everywhere); son supervises district 981; minh is the
officer of commune 98101 (outside his commune, figures are suppressed).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from audit.models import Event
from cases.choices import Role, UnitLevel
from cases.models import AdministrativeUnit, StaffProfile
from cases.roles import staff_profile_save
from tests.conftest import World, signed_in_client
from tests.factories import make_user
from tests.reports.export_support import VICTIMS, test_indicators  # noqa: F401

pytestmark = pytest.mark.usefixtures("test_indicators")

URL = "/figures/report/"
H1 = {"period_kind": "half_year", "year": "2026", "half": "1"}


def _get(client: Client, unit: AdministrativeUnit, **extra: str) -> Any:
    params = {"unit": str(unit.pk), "format": "xlsx", **H1, **extra}
    return client.get(URL, params)


def _book(response: Any) -> Any:
    assert response.status_code == 200, response.content[:500]
    return load_workbook(io.BytesIO(response.content))


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _line(rows: list[list[Any]], label: str, after: str) -> list[Any]:
    """Return the first row labelled ``label`` after the block titled ``after``."""
    start = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith(after))
    return next(r for r in rows[start:] if r and r[0] == label)


def _son(world: World) -> Client:
    user = make_user("son")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["clinic_a"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d1"],
        ),
    )
    return signed_in_client(user)


def test_xlsx_has_a_cover_a_sheet_per_group_and_definitions(world: World) -> None:
    book = _book(_get(world.client("hoa"), world.units["province"]))
    assert book.sheetnames == ["Trang bìa", "Nhóm A", "Nhóm B", "Định nghĩa"]
    cover = {r[0]: r[1] for r in _rows(book["Trang bìa"]) if r and len(r) > 1}
    assert cover["Đơn vị"] == "Tỉnh Kiểm Thử"
    assert cover["Kỳ báo cáo"] == "6 tháng đầu năm 2026"
    assert cover["Kế hoạch"] == "—"  # no plan sets a target in this test
    assert cover["Dùng để chia sẻ"] == "không"
    assert cover["Số liệu tính đến"]
    rows = _rows(book["Nhóm A"])
    header = rows[1]
    assert header[:5] == ["Đơn vị", "6 tháng đầu năm 2026", "chỉ tiêu", "tử số", "mẫu số"]
    assert [r[0] for r in rows[2:6]] == [
        "Phường Tỉnh",
        "Huyện Một",
        "Huyện Hai",
        "Tổng: Tỉnh Kiểm Thử",
    ]
    # hoa's scope is the whole province: exact, 3 included.
    assert _line(rows, "Huyện Một", "TEST_COUNT")[1] == 3
    assert _line(rows, "Tổng: Tỉnh Kiểm Thử", "TEST_COUNT")[1] == 35
    share = _line(rows, "Huyện Hai", "TEST_SHARE")
    assert share[1:5] == [66.7, None, 8, 12]
    definitions = _rows(book["Định nghĩa"])
    assert definitions[1][0] == "TEST_COUNT"
    assert definitions[1][5] == "'@people counted"  # neutralised


def test_year_report_has_both_halves_and_the_year_and_breakdown_columns(world: World) -> None:
    response = _get(
        world.client("hoa"), world.units["province"], period_kind="year", breakdowns="sex"
    )
    header = _rows(_book(response)["Nhóm A"])[1]
    labels = [h for h in header[1:] if h not in ("chỉ tiêu", "tử số", "mẫu số")]
    assert labels == [
        "6 tháng đầu năm 2026", "6 tháng đầu năm 2026 · Nam", "6 tháng đầu năm 2026 · Nữ",
        "6 tháng cuối năm 2026", "6 tháng cuối năm 2026 · Nam", "6 tháng cuối năm 2026 · Nữ",
        "Năm 2026", "Năm 2026 · Nam", "Năm 2026 · Nữ",
    ]  # fmt: skip


def test_a_report_for_sharing_hides_small_counts_even_for_the_province(world: World) -> None:
    rows = _rows(_book(_get(world.client("hoa"), world.units["province"], sharing="on"))["Nhóm A"])
    assert _line(rows, "Huyện Một", "TEST_COUNT")[1] == "< 5"
    # 35 − 20 − 12 would give the 3 away: the smallest other row is hidden too.
    assert _line(rows, "Huyện Hai", "TEST_COUNT")[1] == "x"
    assert _line(rows, "Phường Tỉnh", "TEST_COUNT")[1] == 20
    share = _line(rows, "Huyện Một", "TEST_SHARE")
    assert share[1:5] == ["< 5", None, "< 5", "< 5"]


def test_a_province_supervisor_sees_the_victims_total_but_no_unit_below_it(
    world: World,
) -> None:
    """Returned victims are a handful per commune: hoa, whose scope is the province, reads the
    province's victims' figure exactly (the plan's 100 % target is judged on it), and no
    district's, zeros included — "0" beside "< 5" would place the others (issue 25)."""
    rows = _rows(_book(_get(world.client("hoa"), world.units["province"]))["Nhóm B"])
    total = _line(rows, "Tổng: Tỉnh Kiểm Thử", "TEST_VICTIMS")[1]
    assert total == VICTIMS["981"] + VICTIMS["982"] + VICTIMS["98001"]
    for district in ("Huyện Một", "Huyện Hai", "Phường Tỉnh"):
        assert _line(rows, district, "TEST_VICTIMS")[1] in ("x", "< 5"), district


def test_a_viewer_outside_the_unit_gets_suppressed_figures(world: World) -> None:
    """minh's scope is commune 98101: the province's figures come suppressed."""
    rows = _rows(_book(_get(world.client("minh"), world.units["province"]))["Nhóm A"])
    assert _line(rows, "Huyện Một", "TEST_COUNT")[1] == "< 5"


def test_rows_inside_the_viewers_scope_stay_exact_in_a_suppressed_table(world: World) -> None:
    """son supervises district 981: in the province's report its row is exact (3), and the
    other rows are protected knowing it."""
    book = _book(_get(_son(world), world.units["province"]))
    rows = _rows(book["Nhóm B"])
    assert _line(rows, "Huyện Một", "TEST_VICTIMS")[1] == 2
    assert _line(rows, "Huyện Một", "TEST_VICTIMS")[1] == 2
    rows = _rows(book["Nhóm A"])
    assert _line(rows, "Huyện Một", "TEST_COUNT")[1] == 3


def test_inside_the_scope_figures_are_exact(world: World) -> None:
    """son's own district: communes 98101 (2) and 98102 (1) are shown as they are."""
    rows = _rows(_book(_get(_son(world), world.units["d1"]))["Nhóm A"])
    assert _line(rows, "Xã Một Một", "TEST_COUNT")[1] == 2
    assert _line(rows, "Xã Một Hai", "TEST_COUNT")[1] == 1


def test_text_that_a_spreadsheet_would_run_is_neutralised(world: World) -> None:
    AdministrativeUnit.objects.create(
        code="98002",
        name='=HYPERLINK("http://x")',
        level=UnitLevel.COMMUNE,
        parent=world.units["province"],
    )
    book = _book(_get(world.client("hoa"), world.units["province"]))
    cells = [c for r in _rows(book["Nhóm A"]) for c in r if isinstance(c, str)]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    names = [r[1] for r in _rows(book["Định nghĩa"])]
    assert "'=SUM(A1:A9) people" in names


def test_csv_is_one_long_file_with_a_byte_order_mark(world: World) -> None:
    response = _get(world.client("hoa"), world.units["province"], format="csv", sharing="on")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    count = {r["unit"]: r for r in lines if r["indicator"] == "TEST_COUNT"}
    assert count["Huyện Một"]["value"] == "< 5"
    assert count["Phường Tỉnh"]["value"] == "20"
    assert count["Tỉnh Kiểm Thử"]["value"] == "35"
    assert count["Huyện Một"]["indicator_name"] == "'=SUM(A1:A9) people"


def test_each_export_is_recorded(world: World) -> None:
    """ASVS 16.2.1: an export of figures is an audit event naming the unit and the file."""
    _get(world.client("hoa"), world.units["province"], format="csv", sharing="on")
    event = Event.objects.get(action="figures_report_exported")
    assert event.actor == world.users["hoa"]
    assert event.object_id == str(world.units["province"].pk)
    assert event.detail["format"] == "csv" and event.detail["sharing"] is True
    assert event.detail["periods"] == [["2026-01-01", "2026-06-30"]]


def test_another_provinces_unit_is_refused_and_logged(world: World) -> None:
    """ASVS 8.2.2: asking the report of a unit of another province is refused (404) and the
    attempt is recorded as a denial; no file, no export event."""
    other = AdministrativeUnit.objects.create(
        code="99", name="Tỉnh Khác", level=UnitLevel.PROVINCE, parent=None
    )
    response = _get(world.client("hoa"), other)
    assert response.status_code == 404
    denial = Event.objects.get(action="denied", object_type="administrativeunit")
    assert denial.object_id == str(other.pk) and denial.actor == world.users["hoa"]
    assert not Event.objects.filter(action="figures_report_exported").exists()


def test_a_malformed_unit_is_refused_and_logged(world: World) -> None:
    """ASVS 8.2.2: a unit id that is not a number is denied like an unknown one."""
    response = world.client("minh").get(URL, {"unit": "1 OR 1=1", "format": "csv", **H1})
    assert response.status_code == 404
    assert Event.objects.filter(action="denied", object_type="administrativeunit").count() == 1


def test_users_without_figures_may_not_export(world: World) -> None:
    """ASVS 8.2.1: a caseworker has no figures: 403, nothing written."""
    response = _get(world.client("lan"), world.units["d1"])
    assert response.status_code == 403
    assert not Event.objects.filter(action="figures_report_exported").exists()


def test_the_form_and_its_errors(world: World) -> None:
    client = world.client("hoa")
    page = client.get(URL)
    assert page.status_code == 200
    assert b'data-testid="report-form"' in page.content
    response = _get(
        client, world.units["province"], period_kind="custom", start="31/12/2026", end="01/01/2026"
    )
    assert response.status_code == 200
    assert "31/12/2026" in response.content.decode()
    assert "Ngày kết thúc kỳ đứng trước ngày bắt đầu." in response.content.decode()
    assert not Event.objects.filter(action="figures_report_exported").exists()


def test_a_report_looks_up_each_target_once_per_indicator_and_year(world: World) -> None:
    """Speed (issue 25): an indicator's target depends on the unit and the year only, the same
    for every breakdown and period of the year and for the sibling tables suppression adds,
    so the report reads it once per indicator and year, not once per table
    (bench/figures.py's province-year report: 201 reads, one a table)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import export, registry

    periods = export.periods_for("year", year=2026)
    with CaptureQueriesContext(connection) as captured:
        report = export.report_build(
            viewer=world.users["hoa"],
            unit=world.units["province"],
            periods=periods,
            breakdowns=("sex",),
            sharing=True,
        )
    reads = [q for q in captured.captured_queries if '"reports_target"' in q["sql"]]
    assert len(report.tables) > len(registry.indicators()) * len(periods)
    # Plus one read a year for every indicator's key targets (a sector's own target).
    assert len(reads) == len(
        {(i.code, p.period.end.year) for i in registry.indicators() for p in periods}
    ) + len({p.period.end.year for p in periods})
