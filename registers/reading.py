"""Stream the sheets of a register file: an XLSX workbook, one CSV, or a ZIP of CSVs.

Rows are read one at a time (openpyxl in read-only mode, the csv module), so memory stays
flat whatever the file's length; each row comes with its number as the office sees it
(the header is row 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from .format import CODES_SHEET, GUIDE_SHEET, Sheet, header_key, sheet_by_name

IGNORED_SHEETS = {header_key(CODES_SHEET), header_key(GUIDE_SHEET)}
ROW_LIMIT_COLUMNS = 80  # cells read per row at most: a stray value far right is not ours


class FileUnreadable(ValueError):
    """The file is not an XLSX workbook, a CSV or a ZIP of CSVs."""


@dataclass
class SheetRows:
    """One sheet of the file: the format's sheet it is (None: unknown) and its rows."""

    name: str
    sheet: Sheet | None
    rows: Iterator[tuple[int, list[Any]]]  # (row number, cells); the header is row 1


@dataclass(frozen=True)
class StoredFile:
    """A register file held in memory (a stored upload, decrypted): opened as a Path is.

    The import directory keeps files sealed (``registers.storage``, D44); their plaintext
    exists only in the memory of the process reading them.
    """

    name: str
    data: bytes

    def open(self, mode: str = "rb") -> io.BytesIO:
        return io.BytesIO(self.data)


Source = Path | StoredFile  # a file on disk (the command) or a stored upload


@contextmanager
def open_register(path: Source) -> Iterator[list[SheetRows]]:
    """Open a register file and yield its sheets, each read row by row; close it after."""
    with ExitStack() as stack:
        yield _open(path, stack)


def _open(path: Source, stack: ExitStack) -> list[SheetRows]:
    with path.open("rb") as handle:
        start = handle.read(4)
    if not start.startswith(b"PK"):
        return [_csv_sheet(path.name, stack.enter_context(path.open("rb")))]
    try:
        archive = stack.enter_context(zipfile.ZipFile(stack.enter_context(path.open("rb"))))
    except zipfile.BadZipFile as error:
        raise FileUnreadable(str(error)) from error
    names = archive.namelist()
    if "[Content_Types].xml" in names:
        return _xlsx(path, stack)
    return [
        _csv_sheet(Path(info.filename).name, stack.enter_context(archive.open(info)))
        for info in archive.infolist()
        if not info.is_dir() and info.filename.lower().endswith(".csv")
    ]


def _xlsx(path: Source, stack: ExitStack) -> list[SheetRows]:
    try:
        # A file object: the stored upload has no ".xlsx" suffix for openpyxl to check.
        book = load_workbook(stack.enter_context(path.open("rb")), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileUnreadable(str(error)) from error
    stack.callback(book.close)
    found = []
    for worksheet in book.worksheets:
        if header_key(worksheet.title) in IGNORED_SHEETS:
            continue
        rows = (
            (number, list(values))
            for number, values in enumerate(
                worksheet.iter_rows(values_only=True, max_col=ROW_LIMIT_COLUMNS), start=1
            )
        )
        found.append(SheetRows(worksheet.title, sheet_by_name(worksheet.title), rows))
    return found


def _csv_sheet(name: str, binary: Any) -> SheetRows:
    return SheetRows(name, sheet_by_name(Path(name).stem), _csv_rows(binary))


def _csv_rows(binary: Any) -> Iterator[tuple[int, list[Any]]]:
    with binary:
        stream = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            first = stream.readline()
        except UnicodeDecodeError as error:
            raise FileUnreadable("not UTF-8") from error
        delimiter = ";" if first.count(";") > first.count(",") else ","
        lines = _chain(first, stream)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            for number, values in enumerate(reader, start=1):
                yield number, [value if value != "" else None for value in values]
        except UnicodeDecodeError as error:
            raise FileUnreadable("not UTF-8") from error


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def is_blank(cells: list[Any]) -> bool:
    """Return whether a row holds nothing (Excel keeps formatted empty rows)."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)
