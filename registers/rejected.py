"""The rejected rows of an import, as an XLSX the office can fix and send again.

The original file is read again row by row; each row with a problem is copied under its
sheet's header with one more column, the reasons (column: message), so the office fixes
those rows and re-sends them alone. Written in openpyxl's write-only mode: memory stays flat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from .checking import Problem
from .format import header_key
from .reading import Source, open_register

REASONS = "Lý do không nhập được"
FILE_SHEET = "Lỗi của tệp"


def rejected_rows_xlsx(*, source: Source, problems: Iterable[Problem], target: Path) -> int:
    """Write the rows of ``source`` that have problems to ``target``; return how many."""
    by_row: dict[tuple[str, int], list[str]] = defaultdict(list)
    whole: list[Problem] = []
    for problem in problems:
        if problem.row <= 1:
            whole.append(problem)
        else:
            reason = f"{problem.column}: {problem.message}" if problem.column else problem.message
            by_row[(header_key(problem.sheet), problem.row)].append(reason)
    book = Workbook(write_only=True)
    written = 0
    with open_register(source) as sheets:
        for found in sheets:
            name = found.sheet.vi if found.sheet is not None else found.name
            wanted = {row for (sheet, row) in by_row if sheet == header_key(name)}
            if not wanted:
                continue
            tab = book.create_sheet(name[:31])
            for number, cells in found.rows:
                if number == 1:
                    tab.append([*cells, REASONS])
                elif number in wanted:
                    tab.append([*_plain(cells), "; ".join(by_row[(header_key(name), number)])])
                    written += 1
    if whole:
        tab = book.create_sheet(FILE_SHEET)
        tab.append(["Trang", "Dòng", "Cột", REASONS])
        for problem in whole:
            tab.append([problem.sheet, problem.row or "", problem.column, problem.message])
    if not book.worksheets:
        book.create_sheet(FILE_SHEET).append(["Không có dòng nào bị từ chối."])
    book.save(target)
    return written


def _plain(cells: list[Any]) -> list[Any]:
    # Formulas are never written back: a cell starting with "=" is kept as text.
    return [
        f"'{cell}" if isinstance(cell, str) and cell.startswith("=") else cell for cell in cells
    ]
