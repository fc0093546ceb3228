"""Build register files for the import tests: an XLSX workbook or CSVs from plain rows."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from registers.format import Sheet, sheet_by_name

Rows = Sequence[Mapping[str, Any]]  # column key → cell


def _sheet(key: str) -> Sheet:
    sheet = sheet_by_name(key)
    assert sheet is not None, key
    return sheet


def xlsx(path: Path, sheets: Mapping[str, Rows], *, english: bool = False) -> Path:
    """Write a workbook with a header row of Vietnamese (or English) headers per sheet."""
    book = Workbook()
    book.remove(book.active)
    for key, rows in sheets.items():
        sheet = _sheet(key)
        tab = book.create_sheet(sheet.en if english else sheet.vi)
        columns = [c for c in sheet.columns if any(c.key in row for row in rows)] or list(
            sheet.columns
        )
        tab.append([c.en if english else c.vi for c in columns])
        for row in rows:
            tab.append([row.get(c.key) for c in columns])
    book.save(path)
    return path


def csv_text(key: str, rows: Rows, *, delimiter: str = ",") -> str:
    sheet = _sheet(key)
    columns = [c for c in sheet.columns if any(c.key in row for row in rows)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([c.vi for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key)) for c in columns])
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def csv_zip(path: Path, sheets: Mapping[str, Rows]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for key, rows in sheets.items():
            archive.writestr(f"{key}.csv", "\ufeff" + csv_text(key, rows))
    return path
