"""The import's files: cells read as offices write them, the template, the rejected rows,
and the command that runs an import as a task (issue 27)."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from cases.models import Person
from registers import cells
from registers.actions import register_import
from registers.format import CODES_SHEET, GUIDE_SHEET, SHEETS
from registers.models import ImportStatus, RegisterImport
from registers.rejected import REASONS, rejected_rows_xlsx
from registers.template_files import template_csv, template_xlsx
from services.methadone.models import DoseKind
from tests.conftest import World
from tests.registers.import_files import xlsx
from tests.registers.test_import import TODAY, person_row

D = datetime.date


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("05/03/2024", D(2024, 3, 5)),
        ("5/3/2024", D(2024, 3, 5)),
        ("5/3/24", D(2024, 3, 5)),
        ("5/3/90", D(1990, 3, 5)),  # 2090 would be in the future
        ("05-03-2024", D(2024, 3, 5)),
        ("05.03.2024", D(2024, 3, 5)),
        ("2024-03-05", D(2024, 3, 5)),
        ("ngày 5 tháng 3 năm 2024", D(2024, 3, 5)),
        ("Ngày 05 tháng 03, 2024", D(2024, 3, 5)),
        ("45356", D(2024, 3, 5)),  # an Excel serial typed as text
        (45356, D(2024, 3, 5)),
        (45356.75, D(2024, 3, 5)),  # a serial with a time of day
        (datetime.datetime(2024, 3, 5, 8, 30), D(2024, 3, 5)),  # noqa: DTZ001  (Excel: naive)
    ],
)
def test_dates_are_read_as_vietnamese_offices_write_them(
    written: object, expected: datetime.date
) -> None:
    assert cells.date(written, today=TODAY) == expected


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("31/02/2024", "bad_date"),
        ("03/05/2027", "future"),
        ("hôm qua", "bad_date"),
        ("2024/13/01", "bad_date"),
        (9_999_999, "bad_date"),
    ],
)
def test_a_bad_date_says_why(written: object, code: str) -> None:
    with pytest.raises(cells.CellError) as raised:
        cells.date(written, today=TODAY)
    assert raised.value.code == code and raised.value.message


def test_other_cells_read_as_written() -> None:
    assert cells.amount("1.500.000") == cells.amount("1 500 000") == 1_500_000
    assert cells.decimal("2,5") == Decimal("2.5")
    assert cells.boolean("Có") and cells.boolean("x") and not cells.boolean("không")
    assert cells.dose("45") == (DoseKind.OBSERVED, Decimal("45.0"))
    assert cells.dose("45 mv") == (DoseKind.TAKE_HOME, Decimal("45.0"))
    assert cells.dose("k") == (DoseKind.MISSED, None)
    assert cells.month("3/2024", today=TODAY) == D(2024, 3, 1)
    assert cells.month("Tháng 03/2024", today=TODAY) == D(2024, 3, 1)
    assert cells.text(12.0) == "12"
    with pytest.raises(cells.CellError):
        cells.dose("0")


def test_the_template_has_every_sheet_the_guide_and_the_codes(world: World) -> None:
    book = load_workbook(io.BytesIO(template_xlsx(user=world.users["lan"])))
    assert book.sheetnames == [GUIDE_SHEET, *(s.vi for s in SHEETS), CODES_SHEET]
    people = book["Người và hồ sơ"]
    assert [c.value for c in people[1]][:3] == ["Mã người (trong tệp)", "Mã hồ sơ (trong tệp)",
                                                 "Họ và tên"]  # fmt: skip
    codes = {(row[0], row[1]) for row in book[CODES_SHEET].iter_rows(values_only=True)}
    assert ("Đối tượng", "addiction") in codes
    assert ("Cơ quan, cơ sở (mã đơn vị:tên)", "981:Methadone A") in codes
    assert ("Xã, phường (mã đơn vị hành chính)", "98101") in codes
    assert ("Loại dịch vụ", "essential_needs") in codes  # a Nhà Nhân ái service
    labels = {row[2] for row in book[CODES_SHEET].iter_rows(values_only=True)}
    assert "Người nghiện ma túy" in labels or any("nghiện" in str(x) for x in labels)
    assert template_csv("so_cap_thuoc").startswith("\ufeffMã đợt điều trị (trong tệp),Tháng")


def test_the_blank_template_filled_in_imports(world: World, tmp_path: Path) -> None:
    """The template's own headers are read back; its guide and codes sheets are skipped."""
    path = tmp_path / "mau.xlsx"
    path.write_bytes(template_xlsx(user=world.users["lan"]))
    book = load_workbook(path)
    sheet = book["Người và hồ sơ"]
    headers = [c.value for c in sheet[1]]
    row = person_row()
    sheet.append([row.get(_key(header)) for header in headers])
    book.save(path)
    outcome = register_import(actor=world.users["lan"], path=path, dry_run=False, today=TODAY)
    assert outcome.problems == [] and outcome.notices == [] and outcome.committed


def _key(header: str) -> str:
    return next(c.key for c in SHEETS[0].columns if c.vi == header)


def test_the_rejected_rows_come_back_with_their_reasons(world: World, tmp_path: Path) -> None:
    rows = [person_row(), person_row(ma_nguoi="2", ma_ho_so="HS2", so_cccd="", nam_sinh="19x0")]
    source = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": rows})
    outcome = register_import(actor=world.users["lan"], path=source, dry_run=True, today=TODAY)
    target = tmp_path / "tu-choi.xlsx"
    assert rejected_rows_xlsx(source=source, problems=outcome.problems, target=target) == 1
    [tab] = load_workbook(target).worksheets
    header, rejected = list(tab.iter_rows(values_only=True))
    assert header[-1] == REASONS and rejected[1] == "HS2"
    assert rejected[-1].startswith("Năm sinh: Năm “19x0” phải có 4 chữ số")


# Autocommit, as the command runs in production: the task is queued when the row commits.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_runs_the_import_as_a_task_and_prints_progress(
    world: World, tmp_path: Path
) -> None:
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row()]})
    out = io.StringIO()
    call_command(
        "import_register", str(path), "--user", "lan", "--timeout", "120", "--dry-run", stdout=out
    )
    printed = out.getvalue()
    assert "queued" in printed and "progress:" in printed
    assert "dry run: 1 rows checked, nothing written" in printed
    assert not Person.objects.exists()
    call_command("import_register", str(path), "--user", "lan", "--timeout", "120", stdout=out)
    assert "imported: 1 rows" in out.getvalue()
    assert Person.objects.count() == 1
    [checked, done] = RegisterImport.objects.order_by("created_at")
    assert (checked.status, done.status) == (ImportStatus.CHECKED, ImportStatus.DONE)
    assert json.loads(done.report)["committed"] is True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_lists_the_problems_and_fails(world: World, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "so.xlsx", {"nguoi_ho_so": [person_row(ngay_mo="32/01/2026")]})
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported: 1 problems"):
        call_command("import_register", str(path), "--user", "lan", "--timeout", "120", stdout=out)
    assert "problem: Người và hồ sơ, row 2, Ngày mở hồ sơ:" in out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("so.xlsx", b"PK\x03\x04 not a zip"),
        ("nguoi_ho_so.csv", "Ho va ten;Tên\nAn;Ấn".encode("utf-16")),
    ],
)
def test_an_unreadable_file_is_one_clear_problem(
    world: World, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    outcome = register_import(actor=world.users["lan"], path=path, dry_run=True, today=TODAY)
    [problem] = outcome.problems
    assert problem.code == "unreadable" and "Không đọc được tệp" in problem.message


def test_a_file_without_any_sheet_of_the_format_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "danh-sach.csv"
    path.write_text("Họ và tên\nAn\n")
    outcome = register_import(actor=world.users["lan"], path=path, dry_run=True, today=TODAY)
    assert [p.code for p in outcome.problems] == ["no_sheets"]
    assert outcome.notices == ["Trang “danh-sach.csv” không thuộc mẫu: đã bỏ qua."]


def test_the_import_page_describes_every_sheet_and_column() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
    for sheet in SHEETS:
        assert f"`{sheet.key}`" in text and sheet.vi in text, sheet.key
        for column in sheet.columns:
            if column.key.startswith("ngay_") and column.key[5:].isdigit():
                continue  # the 31 day columns are one line
            assert f"`{column.key}`" in text and column.vi in text, column.key
