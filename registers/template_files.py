"""The blank register template: an XLSX workbook (with instructions and codes) or one CSV.

The workbook has the sheet "Hướng dẫn" (every column: what it holds, its type, whether it is
required, its code list), one sheet per kind of record with the Vietnamese headers, and
"Danh mục mã": every code list in Vietnamese, with the communes, organisations, Nhà Nhân ái,
services and screening instruments the downloading user may use.
"""

from __future__ import annotations

import csv
import io

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font

from cases import access
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit, Organisation
from services.instruments import registry as instruments
from services.models import ServiceType
from services.models.victims import SHELTER_TYPE

from .format import (
    CODES_SHEET,
    FORMAT_VERSION,
    GUIDE_SHEET,
    ORGANISATION_SEPARATOR,
    SHEETS,
    STATIC_CODES,
    CodeSource,
    Type,
    sheet_by_name,
)

TYPE_NAMES = {
    Type.TEXT: "chữ",
    Type.NAME: "họ tên (giữ nguyên dấu)",
    Type.KEY: "mã dòng trong tệp (không trùng)",
    Type.PERSON: "mã người trong tệp",
    Type.REF: "mã ở trang khác",
    Type.DATE: "ngày (dd/mm/yyyy)",
    Type.MONTH: "tháng (mm/yyyy)",
    Type.YEAR: "năm (4 chữ số)",
    Type.INTEGER: "số nguyên",
    Type.AMOUNT: "số tiền (đồng)",
    Type.DECIMAL: "số (có thể có 1 chữ số thập phân)",
    Type.BOOLEAN: "có / không",
    Type.CITIZEN_ID: "số CCCD (12 chữ số)",
    Type.OLD_ID: "số CMND (9 hoặc 12 chữ số)",
    Type.PHONE: "số điện thoại",
    Type.CODE: "mã trong danh mục",
    Type.USERNAME: "tên đăng nhập của cán bộ",
    Type.DOSE: "liều: 45, 45MV (mang về) hoặc K (không đến)",
}
CODE_LIST_NAMES = {
    CodeSource.SEX: "Giới tính",
    CodeSource.ETHNICITY: "Dân tộc",
    CodeSource.CATEGORY: "Đối tượng",
    CodeSource.CASE_STATUS: "Trạng thái hồ sơ",
    CodeSource.MODALITY: "Hình thức điều trị",
    CodeSource.OUTCOME: "Kết quả đợt điều trị",
    CodeSource.POST_REHAB_OUTCOME: "Kết quả quản lý sau cai",
    CodeSource.SERVICE_TYPE: "Loại dịch vụ",
    CodeSource.SERVICE_STATUS: "Trạng thái dịch vụ",
    CodeSource.INSTRUMENT: "Công cụ sàng lọc",
    CodeSource.INJECTING: "Tiêm chích ma túy (ASSIST câu 8)",
    CodeSource.PHASE: "Giai đoạn điều trị methadone",
    CodeSource.SPLIT: "Chia liều",
    CodeSource.COMMUNE: "Xã, phường (mã đơn vị hành chính)",
    CodeSource.ORGANISATION: "Cơ quan, cơ sở (mã đơn vị:tên)",
    CodeSource.SHELTER: "Nhà Nhân ái",
    CodeSource.STAGE: "Giai đoạn cai nghiện tại cơ sở",
}
BOLD = Font(bold=True)


def template_xlsx(*, user: access.AnyUser) -> bytes:
    """Return the blank workbook, its codes listed for the user's province."""
    book = Workbook()
    guide = book.active
    guide.title = GUIDE_SHEET
    guide.append([f"Mẫu sổ đăng ký Hòa Nhập, phiên bản {FORMAT_VERSION}"])
    guide.append([])
    guide.append(["Trang", "Cột", "Tiêu đề tiếng Anh", "Kiểu", "Bắt buộc", "Danh mục", "Ghi chú"])
    for cell in guide[3]:
        cell.font = BOLD
    for sheet in SHEETS:
        for column in sheet.columns:
            guide.append(
                [
                    sheet.vi,
                    column.vi,
                    column.en,
                    TYPE_NAMES[column.type],
                    "có" if column.required else "",
                    CODE_LIST_NAMES.get(column.codes, "") if column.codes else "",
                    column.help_vi,
                ]
            )
    for sheet in SHEETS:
        tab = book.create_sheet(sheet.vi[:31])
        tab.append([column.vi for column in sheet.columns])
        for cell in tab[1]:
            cell.font = BOLD
        tab.freeze_panes = "A2"
    codes = book.create_sheet(CODES_SHEET)
    codes.append(["Danh mục", "Mã", "Tên"])
    for cell in codes[1]:
        cell.font = BOLD
    for source, code, label in code_rows(user=user):
        codes.append([CODE_LIST_NAMES[source], code, label])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def code_rows(*, user: access.AnyUser) -> list[tuple[CodeSource, str, str]]:
    """Return (list, code, Vietnamese name) of every code list, rows in the user's province."""
    rows: list[tuple[CodeSource, str, str]] = []
    with translation.override("vi"):
        for source, codes in STATIC_CODES.items():
            rows.extend((source, code, str(label)) for code, label in codes)
    for service in ServiceType.objects.filter(is_active=True).order_by("order", "code"):
        rows.append((CodeSource.SERVICE_TYPE, service.code, service.name_vi))
    with translation.override("vi"):
        for each in instruments.all():
            rows.append((CodeSource.INSTRUMENT, f"{each.code} {each.version}", str(each.name)))
    province = _province_path(user)
    units = AdministrativeUnit.objects.filter(is_active=True, path__startswith=province)
    for unit in units.filter(level=UnitLevel.COMMUNE).order_by("path"):
        rows.append((CodeSource.COMMUNE, unit.code, unit.name))
    organisations = Organisation.objects.filter(
        is_active=True, unit__path__startswith=province
    ).select_related("unit", "type")
    for org in organisations.order_by("unit__path", "name"):
        code = f"{org.unit.code}{ORGANISATION_SEPARATOR}{org.name}"
        rows.append((CodeSource.ORGANISATION, code, org.name))
        if org.type.code == SHELTER_TYPE:
            rows.append((CodeSource.SHELTER, code, org.name))
    return rows


def _province_path(user: access.AnyUser) -> str:
    profile = access.profile_of(user)
    if profile is None:
        return "/-none-/"
    return "/" + profile.scope_unit.path.split("/")[1] + "/"


def template_csv(sheet_key: str) -> str:
    """Return one sheet's blank CSV: a byte-order mark and the Vietnamese header row."""
    sheet = sheet_by_name(sheet_key)
    if sheet is None:
        raise KeyError(sheet_key)
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.vi for column in sheet.columns])
    return "\ufeff" + buffer.getvalue()
