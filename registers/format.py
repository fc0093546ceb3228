"""The register workbook as data: its sheets, their columns, types and code lists.

One format serves the import (``registers.importing``), the export (``registers.export*``)
and the templates (``registers.templates_xlsx``); ``docs/import.md`` describes it for
offices, and a test keeps that page in step with this module. Nothing here reads the
database: code lists kept as rows (units, organisations, service types, staff) are named
by a ``CodeSource`` the importer resolves in the importer's scope.

Rows of different sheets are tied by keys the file carries, not by database ids: the
person number (``ma_nguoi``) groups the case rows of one person, the case number
(``ma_ho_so``) ties every record to its case, the episode number (``ma_dot``) ties
prescriptions and doses to a methadone episode and the screening number (``ma_sang_loc``)
ties item scores to a screening. These keys are the file's own (any text, unique in the
file); they are never stored, so an export numbers them afresh.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from cases.choices import ETHNIC_GROUPS, CaseStatus, ClientCategory, Sex
from services.methadone.models import SPLIT_CHOICES, DoseKind, Phase
from services.models import (
    Modality,
    Outcome,
    PostRehabOutcome,
    ServiceStatus,
    Stage,
)
from services.models.screening import INJECTING_CHOICES

type Label = str | Promise | Any

# The format's version, written in the template's "Hướng dẫn" sheet and read back: a file
# of another major version is refused with a message saying which template to use.
FORMAT_VERSION = "1.0"


class Type(enum.StrEnum):
    """What a cell holds and how it is read."""

    TEXT = "text"  # free text, trimmed, Unicode NFC
    NAME = "name"  # a person's name: NFC, inner spaces collapsed, diacritics kept exactly
    KEY = "key"  # a row key of the file (any text, unique in its sheet)
    PERSON = "person"  # the file's person number: rows with one number are one person
    REF = "ref"  # a key of another sheet (``Column.refers_to``)
    # dd/mm/yyyy, d/m/yy, yyyy-mm-dd, an Excel date or serial, "ngày 5 tháng 3 năm 2024"
    DATE = "date"
    MONTH = "month"  # mm/yyyy (or an Excel date: its month)
    YEAR = "year"  # a four-digit year
    INTEGER = "integer"  # a whole number ≥ 0
    AMOUNT = "amount"  # a whole number of VND; "1.500.000" and "1 500 000" read as 1500000
    DECIMAL = "decimal"  # a number with at most one decimal ("2,5" or "2.5")
    BOOLEAN = "boolean"  # có/không, x/(blank), 1/0, yes/no
    CITIZEN_ID = "citizen_id"  # 12 digits, checked as cases.citizen_id checks them
    OLD_ID = "old_id"  # 9 or 12 digits (CMND)
    PHONE = "phone"
    CODE = "code"  # one code of ``Column.codes``
    USERNAME = "username"  # a staff member's sign-in name (blank: the importing user)
    DOSE = "dose"  # a dosing-sheet cell: "45" observed, "45MV" take-home, "K" did not come


class CodeSource(enum.StrEnum):
    """Where a coded column's allowed values come from."""

    SEX = "sex"
    ETHNICITY = "ethnicity"
    CATEGORY = "category"  # client categories
    CASE_STATUS = "case_status"
    MODALITY = "modality"
    OUTCOME = "outcome"  # treatment episode outcomes
    POST_REHAB_OUTCOME = "post_rehab_outcome"
    SERVICE_TYPE = "service_type"  # the service catalogue (rows), Nhà Nhân ái services included
    SERVICE_STATUS = "service_status"
    INSTRUMENT = "instrument"  # screening instruments: "code version", e.g. "assist 3.0"
    INJECTING = "injecting"  # ASSIST Q8
    PHASE = "phase"  # methadone prescription phases
    SPLIT = "split"  # parts a daily dose is split into
    COMMUNE = "commune"  # administrative unit codes of communes (rows)
    ORGANISATION = "organisation"  # "unit code:organisation name" (rows)
    SHELTER = "shelter"  # organisations of type Nhà Nhân ái (rows)
    STAGE = "stage"  # the five stages of facility treatment


# Code lists fixed in code: (code, Vietnamese label). The labels are the Vietnamese terms
# of the printed codes sheet; a cell may hold the code or the label (either language).
# Labels stay lazy: they are read in the language active when a sheet is written.
def _choices(choices: type[enum.Enum]) -> tuple[tuple[str, Label], ...]:
    return tuple((str(member.value), member.label) for member in choices)  # type: ignore[attr-defined]


STATIC_CODES: dict[CodeSource, tuple[tuple[str, Label], ...]] = {
    CodeSource.SEX: _choices(Sex),
    CodeSource.ETHNICITY: tuple(ETHNIC_GROUPS),
    CodeSource.CATEGORY: _choices(ClientCategory),
    CodeSource.CASE_STATUS: _choices(CaseStatus),
    CodeSource.MODALITY: _choices(Modality),
    CodeSource.OUTCOME: _choices(Outcome),
    CodeSource.POST_REHAB_OUTCOME: _choices(PostRehabOutcome),
    CodeSource.SERVICE_STATUS: _choices(ServiceStatus),
    CodeSource.INJECTING: tuple((code, label) for code, label in INJECTING_CHOICES),
    CodeSource.PHASE: _choices(Phase),
    CodeSource.SPLIT: tuple((str(code), label) for code, label in SPLIT_CHOICES),
    CodeSource.STAGE: _choices(Stage),
}
# Code lists kept as rows, resolved by the importer (and listed in the template's codes
# sheet for the downloading user's scope).
ROW_CODES = frozenset(
    {
        CodeSource.SERVICE_TYPE,
        CodeSource.INSTRUMENT,
        CodeSource.COMMUNE,
        CodeSource.ORGANISATION,
        CodeSource.SHELTER,
    }
)

# A dosing-sheet cell: the dose kinds and how each is written.
DOSE_MISSED = "K"  # không đến
DOSE_TAKE_HOME_SUFFIX = "MV"  # mang về
DOSE_KINDS = {
    DoseKind.OBSERVED: "45",
    DoseKind.TAKE_HOME: f"45{DOSE_TAKE_HOME_SUFFIX}",
    DoseKind.MISSED: DOSE_MISSED,
}
# An organisation is written "unit code:name" (organisations have no code of their own;
# the unit code and the exact name are the same in every instance with the same directory).
ORGANISATION_SEPARATOR = ":"


@dataclass(frozen=True)
class Column:
    """One column of a sheet."""

    key: str  # the machine header (ASCII), also accepted as a header
    vi: str  # the Vietnamese header the template prints
    en: str  # the English header, accepted too
    type: Type
    required: bool = False
    codes: CodeSource | None = None
    refers_to: str = ""  # for Type.REF: the key of the sheet whose KEY column it names
    future: bool = False  # a date that may lie ahead (a due date, a planned end)
    help_vi: str = ""  # one line for the template's instructions sheet

    @property
    def headers(self) -> tuple[str, str, str]:
        return (self.vi, self.en, self.key)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook (one CSV file when sent as CSV)."""

    key: str  # ASCII; the CSV file is "<key>.csv"
    vi: str  # the sheet's Vietnamese name (the XLSX tab)
    en: str
    columns: tuple[Column, ...]
    # Columns whose values together may appear once in the file (a duplicate row).
    unique: tuple[tuple[str, ...], ...] = ()
    help_vi: str = ""

    def column(self, key: str) -> Column:
        for each in self.columns:
            if each.key == key:
                return each
        raise KeyError(key)

    @property
    def row_key(self) -> Column | None:
        """Return the column holding this sheet's own row key, if it has one."""
        return next((each for each in self.columns if each.type is Type.KEY), None)


def _case_ref() -> Column:
    return Column(
        "ma_ho_so",
        "Mã hồ sơ (trong tệp)",
        "Case number (in file)",
        Type.REF,
        required=True,
        refers_to="nguoi_ho_so",
        help_vi="Mã hồ sơ ghi ở trang “Người và hồ sơ”.",
    )


def _episode_ref() -> Column:
    return Column(
        "ma_dot",
        "Mã đợt điều trị (trong tệp)",
        "Episode number (in file)",
        Type.REF,
        required=True,
        refers_to="dot_dieu_tri",
        help_vi="Mã đợt điều trị methadone ghi ở trang “Đợt điều trị”.",
    )


PEOPLE_CASES = Sheet(
    "nguoi_ho_so",
    "Người và hồ sơ",
    "People and cases",
    help_vi=(
        "Mỗi dòng là một hồ sơ của một người. Một người có nhiều hồ sơ thì ghi nhiều dòng "
        "cùng “Mã người”, thông tin cá nhân giống nhau trên các dòng đó."
    ),
    columns=(
        Column(
            "ma_nguoi",
            "Mã người (trong tệp)",
            "Person number (in file)",
            Type.PERSON,
            required=True,
            help_vi="Số thứ tự của người trong tệp (ví dụ 1, 2, 3…), không phải số CCCD.",
        ),
        Column(
            "ma_ho_so",
            "Mã hồ sơ (trong tệp)",
            "Case number (in file)",
            Type.KEY,
            required=True,
            help_vi="Số thứ tự của hồ sơ trong tệp; các trang khác dùng mã này.",
        ),
        Column("ho_ten", "Họ và tên", "Full name", Type.NAME, required=True),
        Column("ten_khac", "Tên gọi khác", "Other names", Type.TEXT),
        Column("so_cccd", "Số CCCD", "Citizen ID number", Type.CITIZEN_ID),
        Column("so_cmnd", "Số CMND", "Old identity card number", Type.OLD_ID),
        Column("gioi_tinh", "Giới tính", "Sex", Type.CODE, required=True, codes=CodeSource.SEX),
        Column("nam_sinh", "Năm sinh", "Year of birth", Type.YEAR, required=True),
        Column("nam_sinh_uoc_tinh", "Năm sinh ước tính", "Year of birth estimated", Type.BOOLEAN),
        Column("ngay_sinh", "Ngày sinh", "Date of birth", Type.DATE),
        Column("dan_toc", "Dân tộc", "Ethnicity", Type.CODE, codes=CodeSource.ETHNICITY),
        Column("dien_thoai", "Điện thoại", "Phone", Type.PHONE),
        Column("dia_chi", "Địa chỉ", "Address", Type.TEXT),
        Column("lien_he_gia_dinh", "Liên hệ gia đình", "Family contact", Type.TEXT),
        Column(
            "xa_cu_tru",
            "Mã xã nơi cư trú",
            "Commune of residence (code)",
            Type.CODE,
            required=True,
            codes=CodeSource.COMMUNE,
        ),
        Column(
            "doi_tuong",
            "Đối tượng",
            "Client category",
            Type.CODE,
            required=True,
            codes=CodeSource.CATEGORY,
        ),
        Column("ho_so_quan_ly", "Hồ sơ quản lý", "Managed record", Type.BOOLEAN),
        Column(
            "trang_thai",
            "Trạng thái hồ sơ",
            "Case status",
            Type.CODE,
            required=True,
            codes=CodeSource.CASE_STATUS,
        ),
        Column("ngay_mo", "Ngày mở hồ sơ", "Opened on", Type.DATE, required=True),
        Column("ngay_dong", "Ngày đóng hồ sơ", "Closed on", Type.DATE),
        Column(
            "co_quan_quan_ly",
            "Cơ quan quản lý hồ sơ",
            "Responsible organisation",
            Type.CODE,
            required=True,
            codes=CodeSource.ORGANISATION,
        ),
        Column(
            "can_bo_phu_trach",
            "Cán bộ phụ trách (tên đăng nhập)",
            "Assigned staff (username)",
            Type.USERNAME,
        ),
        Column("ghi_chu", "Ghi chú", "Notes", Type.TEXT),
    ),
    unique=(("ma_ho_so",),),
)

_STAGE_COLUMNS = tuple(
    column
    for number in range(1, 6)
    for column in (
        Column(
            f"giai_doan_{number}_bat_dau",
            f"Giai đoạn {number}: ngày bắt đầu",
            f"Stage {number}: started on",
            Type.DATE,
        ),
        Column(
            f"giai_doan_{number}_ket_thuc",
            f"Giai đoạn {number}: ngày kết thúc",
            f"Stage {number}: ended on",
            Type.DATE,
        ),
    )
)

EPISODES = Sheet(
    "dot_dieu_tri",
    "Đợt điều trị",
    "Treatment episodes",
    help_vi=(
        "Mỗi dòng là một đợt cai nghiện hoặc điều trị methadone. Cai nghiện tại cơ sở ghi "
        "thêm ngày bắt đầu và kết thúc của từng giai đoạn (Luật 73/2021/QH14, điều 29)."
    ),
    columns=(
        Column(
            "ma_dot",
            "Mã đợt điều trị (trong tệp)",
            "Episode number (in file)",
            Type.KEY,
            required=True,
        ),
        _case_ref(),
        Column(
            "hinh_thuc",
            "Hình thức",
            "Modality",
            Type.CODE,
            required=True,
            codes=CodeSource.MODALITY,
        ),
        Column(
            "co_so",
            "Cơ sở điều trị",
            "Provider",
            Type.CODE,
            required=True,
            codes=CodeSource.ORGANISATION,
        ),
        Column("ngay_bat_dau", "Ngày bắt đầu", "Started on", Type.DATE, required=True),
        Column(
            "ngay_ket_thuc_du_kien", "Ngày kết thúc dự kiến", "Planned end", Type.DATE, future=True
        ),
        Column("ngay_ket_thuc", "Ngày kết thúc", "Ended on", Type.DATE),
        Column("ket_qua", "Kết quả", "Outcome", Type.CODE, required=True, codes=CodeSource.OUTCOME),
        *_STAGE_COLUMNS,
    ),
    unique=(("ma_dot",),),
)

SCREENINGS = Sheet(
    "sang_loc",
    "Sàng lọc",
    "Screenings",
    help_vi=(
        "Mỗi dòng là một lần sàng lọc, với điểm và kết quả như ghi trên phiếu giấy. Điểm "
        "từng chất (ASSIST) ghi ở trang “Điểm sàng lọc”."
    ),
    columns=(
        Column(
            "ma_sang_loc",
            "Mã lần sàng lọc (trong tệp)",
            "Screening number (in file)",
            Type.KEY,
            required=True,
        ),
        _case_ref(),
        Column(
            "cong_cu",
            "Công cụ sàng lọc",
            "Instrument",
            Type.CODE,
            required=True,
            codes=CodeSource.INSTRUMENT,
        ),
        Column("ngay_sang_loc", "Ngày sàng lọc", "Screened on", Type.DATE, required=True),
        Column(
            "nguoi_sang_loc",
            "Người sàng lọc (tên đăng nhập)",
            "Screened by (username)",
            Type.USERNAME,
        ),
        Column("diem", "Điểm", "Score", Type.INTEGER),
        Column("ket_qua", "Kết quả", "Result", Type.TEXT),
        Column(
            "tiem_chich",
            "Tiêm chích ma túy (ASSIST câu 8)",
            "Injecting drug use (ASSIST Q8)",
            Type.CODE,
            codes=CodeSource.INJECTING,
        ),
    ),
    unique=(("ma_sang_loc",),),
)

SCREENING_SCORES = Sheet(
    "diem_sang_loc",
    "Điểm sàng lọc",
    "Screening scores",
    help_vi="Điểm và mức nguy cơ của từng chất (hoặc từng mục) trong một lần sàng lọc.",
    columns=(
        Column(
            "ma_sang_loc",
            "Mã lần sàng lọc (trong tệp)",
            "Screening number (in file)",
            Type.REF,
            required=True,
            refers_to="sang_loc",
        ),
        Column("muc", "Mục (chất)", "Item (substance)", Type.TEXT, required=True),
        Column("diem", "Điểm", "Score", Type.INTEGER, required=True),
        Column("muc_do", "Mức độ", "Level", Type.TEXT, required=True),
    ),
    unique=(("ma_sang_loc", "muc"),),
)

SERVICES = Sheet(
    "dich_vu",
    "Dịch vụ",
    "Services",
    help_vi=(
        "Mỗi dòng là một dịch vụ đã hẹn hoặc đã cung cấp, kể cả dịch vụ của Nhà Nhân ái "
        "(hỗ trợ nhu cầu thiết yếu, chi phí đi lại…)."
    ),
    columns=(
        _case_ref(),
        Column(
            "loai_dich_vu",
            "Loại dịch vụ",
            "Service",
            Type.CODE,
            required=True,
            codes=CodeSource.SERVICE_TYPE,
        ),
        Column(
            "trang_thai",
            "Trạng thái",
            "Status",
            Type.CODE,
            required=True,
            codes=CodeSource.SERVICE_STATUS,
        ),
        Column("ngay_hen", "Ngày hẹn", "Due on", Type.DATE, future=True),
        Column("ngay_cung_cap", "Ngày cung cấp", "Delivered on", Type.DATE),
        Column(
            "don_vi_cung_cap",
            "Đơn vị cung cấp",
            "Provider",
            Type.CODE,
            codes=CodeSource.ORGANISATION,
        ),
        Column(
            "can_bo",
            "Cán bộ phụ trách (tên đăng nhập)",
            "Responsible staff (username)",
            Type.USERNAME,
        ),
        Column("so_tien", "Số tiền (đồng)", "Amount (VND)", Type.AMOUNT),
        Column("ghi_chu", "Ghi chú", "Note", Type.TEXT),
    ),
)

SHELTER_STAYS = Sheet(
    "luu_tru",
    "Lưu trú Nhà Nhân ái",
    "Shelter stays",
    help_vi="Mỗi dòng là một lần lưu trú tại Nhà Nhân ái của nạn nhân bị mua bán trở về.",
    columns=(
        _case_ref(),
        Column(
            "nha_nhan_ai",
            "Nhà Nhân ái",
            "Shelter",
            Type.CODE,
            required=True,
            codes=CodeSource.SHELTER,
        ),
        Column("ngay_vao", "Ngày vào", "Entered on", Type.DATE, required=True),
        Column("ngay_ra", "Ngày ra", "Left on", Type.DATE),
    ),
    unique=(("ma_ho_so", "nha_nhan_ai", "ngay_vao"),),
)

POST_REHAB = Sheet(
    "sau_cai",
    "Quản lý sau cai",
    "Post-rehab management",
    help_vi="Mỗi dòng là một thời hạn quản lý sau cai nghiện (Luật 73/2021/QH14, điều 40).",
    columns=(
        _case_ref(),
        Column(
            "can_bo",
            "Cán bộ quản lý (tên đăng nhập)",
            "Responsible officer (username)",
            Type.USERNAME,
        ),
        Column("ngay_bat_dau", "Ngày bắt đầu", "Started on", Type.DATE, required=True),
        Column(
            "ngay_ket_thuc_du_kien",
            "Ngày kết thúc dự kiến",
            "Planned end",
            Type.DATE,
            required=True,
            future=True,
        ),
        Column("ngay_ket_thuc", "Ngày kết thúc", "Ended on", Type.DATE),
        Column(
            "ket_qua",
            "Kết quả",
            "Outcome",
            Type.CODE,
            required=True,
            codes=CodeSource.POST_REHAB_OUTCOME,
        ),
    ),
    unique=(("ma_ho_so", "ngay_bat_dau"),),
)

PRESCRIPTIONS = Sheet(
    "chi_dinh_methadone",
    "Chỉ định liều methadone",
    "Methadone prescriptions",
    help_vi="Mỗi dòng là một chỉ định liều, có hiệu lực từ ngày ghi đến chỉ định sau.",
    columns=(
        _episode_ref(),
        Column("ngay_hieu_luc", "Hiệu lực từ ngày", "In force from", Type.DATE, required=True),
        Column("lieu_mg", "Liều hằng ngày (mg)", "Daily dose (mg)", Type.DECIMAL, required=True),
        Column("giai_doan", "Giai đoạn", "Phase", Type.CODE, required=True, codes=CodeSource.PHASE),
        Column("so_ngay_mang_ve", "Số ngày được mang về", "Take-home days allowed", Type.INTEGER),
        Column("chia_lieu", "Chia liều", "Dose split into", Type.CODE, codes=CodeSource.SPLIT),
        Column(
            "bac_si",
            "Bác sĩ chỉ định (tên đăng nhập)",
            "Prescriber (username)",
            Type.USERNAME,
        ),
    ),
    unique=(("ma_dot", "ngay_hieu_luc"),),
)

DOSE_DAYS = 31
DOSES = Sheet(
    "so_cap_thuoc",
    "Sổ cấp thuốc methadone",
    "Methadone dosing register",
    help_vi=(
        "Sổ cấp thuốc hằng tháng của cơ sở: mỗi dòng là một bệnh nhân trong một tháng, mỗi "
        "ô ngày ghi liều đã uống (ví dụ 45), liều mang về (45MV) hoặc K (không đến); để "
        "trống là chưa ghi."
    ),
    columns=(
        _episode_ref(),
        Column("thang", "Tháng (mm/yyyy)", "Month (mm/yyyy)", Type.MONTH, required=True),
        *(
            Column(f"ngay_{day}", f"Ngày {day}", f"Day {day}", Type.DOSE)
            for day in range(1, DOSE_DAYS + 1)
        ),
    ),
    unique=(("ma_dot", "thang"),),
)

# The order sheets are read and written in: a sheet's references point to sheets before it.
SHEETS: tuple[Sheet, ...] = (
    PEOPLE_CASES,
    EPISODES,
    SCREENINGS,
    SCREENING_SCORES,
    SERVICES,
    SHELTER_STAYS,
    POST_REHAB,
    PRESCRIPTIONS,
    DOSES,
)
CODES_SHEET = "Danh mục mã"  # the template's sheet of allowed codes (not read back)
GUIDE_SHEET = "Hướng dẫn"  # the template's instructions sheet (not read back)


@dataclass(frozen=True)
class HeaderMatch:
    """A sheet's header row read: the column at each position (None: not ours, ignored)."""

    columns: tuple[Column | None, ...]
    unknown: tuple[str, ...] = field(default=())
    missing: tuple[Column, ...] = field(default=())


def sheet_by_name(name: str) -> Sheet | None:
    """Return the sheet a tab or CSV file name stands for (Vietnamese, English or key)."""
    wanted = header_key(name.removesuffix(".csv"))
    for sheet in SHEETS:
        if wanted in {header_key(sheet.vi), header_key(sheet.en), header_key(sheet.key)}:
            return sheet
    return None


def header_key(text: str) -> str:
    """Return the form a header is compared in: NFC, folded case, spaces collapsed."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def match_headers(sheet: Sheet, headers: list[object]) -> HeaderMatch:
    """Map a header row to the sheet's columns (Vietnamese, English or key headers)."""
    known: dict[str, Column] = {}
    for column in sheet.columns:
        for header in column.headers:
            known[header_key(header)] = column
    found: list[Column | None] = []
    unknown: list[str] = []
    for raw in headers:
        text = "" if raw is None else str(raw)
        matched = known.get(header_key(text)) if text.strip() else None
        if matched is None and text.strip():
            unknown.append(text)
        found.append(matched)
    present = {each.key for each in found if each is not None}
    missing = tuple(c for c in sheet.columns if c.required and c.key not in present)
    return HeaderMatch(tuple(found), tuple(unknown), missing)


def coded_columns() -> Iterator[tuple[Sheet, Column]]:
    """Yield every coded column with its sheet (the template's codes sheet lists their lists)."""
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.codes is not None:
                yield sheet, column
