"""Write a register export: the import's format, for the user's scope (decision D40).

``register_export`` is the action: it checks the verb, reads the scope a slice of people at
a time (``registers.export_rows``), writes each slice to the file and records one
``register_exported`` event per slice naming its people (as list pages record the people a
page showed), so "who saw this person" finds every export that held them. The file goes to
a file object the caller gives (a temporary file for the page, the path for the command, the
export's file for the background task); nothing holds more than one slice in memory.

XLSX: one sheet per sheet of the format (openpyxl's write-only workbook, which keeps each
sheet in a temporary file until it is saved), dates as dates. CSV: a ZIP with one
``<sheet key>.csv`` per sheet, each with a UTF-8 byte-order mark so a spreadsheet opens
Vietnamese right, dates dd/mm/yyyy. Either way every text cell a spreadsheet would run as a
formula (beginning with = + - @, a tab or a carriage return) gets a leading apostrophe
(``reports.export.neutralise``, what the coverage report does).
"""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import Workbook

from accounts.capabilities import can
from audit.actions import record
from cases import access
from reports.export import neutralise

from . import format as fmt
from .export_capabilities import REGISTER_EXPORT
from .export_events import ExportAction
from .export_rows import CHUNK, Row, chunks
from .export_scope import Scope

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
}
EXTENSIONS = {"xlsx": "xlsx", "csv": "zip"}
YES, NO = "có", "không"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportSummary:
    export_id: uuid.UUID
    people: int
    rows: dict[str, int]
    events: int


def file_name(scope: Scope, out_format: Format, *, at: datetime.datetime | None = None) -> str:
    """Return the download's name: scope, unit code and the local time, no personal data."""
    stamp = timezone.localtime(at or timezone.now()).strftime("%Y%m%d-%H%M")
    where = f"-{scope.unit.code}" if scope.unit else ""
    return f"so-dang-ky-{scope.kind}{where}-{stamp}.{EXTENSIONS[out_format]}"


# --- cells -------------------------------------------------------------------------------------


def _cell(column: fmt.Column, value: Any, *, xlsx: bool) -> Any:
    """Return one cell as the import reads it back."""
    if value is None or value == "":
        return None if xlsx else ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime.date):
        if column.type is fmt.Type.MONTH:
            return value if xlsx else value.strftime("%m/%Y")
        return value if xlsx else value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        if xlsx:
            return int(value) if value == value.to_integral_value() else float(value)
        return text
    if isinstance(value, int):
        return value if xlsx else str(value)
    text = str(value)
    if xlsx and column.type in (fmt.Type.MONTH,):
        return text
    return neutralise(text)


def _line(sheet: fmt.Sheet, row: Row, *, xlsx: bool) -> list[Any]:
    return [_cell(column, row.get(column.key), xlsx=xlsx) for column in sheet.columns]


def _headers(sheet: fmt.Sheet) -> list[str]:
    return [column.vi for column in sheet.columns]


# --- writers -----------------------------------------------------------------------------------


class _XlsxWriter:
    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.sheets = {}
        for sheet in fmt.SHEETS:
            tab = self.book.create_sheet(sheet.vi)
            tab.append(_headers(sheet))
            self.sheets[sheet.key] = tab

    def write(self, sheet: fmt.Sheet, rows: list[Row]) -> None:
        tab = self.sheets[sheet.key]
        for row in rows:
            tab.append(_line(sheet, row, xlsx=True))

    def close(self, out: IO[bytes]) -> None:
        self.book.save(out)


class _CsvWriter:
    """One temporary file per sheet, zipped at the end (a ZIP entry is written in one go)."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}
        for sheet in fmt.SHEETS:
            handle = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
            handle.write("\ufeff")
            writer = csv.writer(handle)
            writer.writerow(_headers(sheet))
            self.files[sheet.key] = handle
            self.writers[sheet.key] = writer

    def write(self, sheet: fmt.Sheet, rows: list[Row]) -> None:
        writer = self.writers[sheet.key]
        for row in rows:
            writer.writerow(_line(sheet, row, xlsx=False))

    def close(self, out: IO[bytes]) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sheet in fmt.SHEETS:
                handle = self.files[sheet.key]
                handle.seek(0)
                with archive.open(f"{sheet.key}.csv", "w") as entry:
                    binary = io.TextIOWrapper(entry, encoding="utf-8", newline="")
                    shutil.copyfileobj(handle, binary)
                    binary.flush()
                    binary.detach()
                handle.close()


# --- the action --------------------------------------------------------------------------------


def register_export_refuse(actor: access.AnyUser) -> None:
    """Refuse (a denial event, then 403) a user without the export verb."""
    if not can(actor, REGISTER_EXPORT):
        access.deny(actor, REGISTER_EXPORT, object_type="register")
        raise PermissionDenied


def register_export(
    *,
    actor: access.AnyUser,
    scope: Scope,
    out_format: Format,
    out: IO[bytes],
    export_id: uuid.UUID | None = None,
    size: int = CHUNK,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the scope's register to ``out`` as ``out_format``; record each slice's people.

    ``scope`` comes from ``export_scope.scope_for``, which refused what the actor may not
    export; the verb is checked again here, for the command and the task.
    """
    register_export_refuse(actor)
    export_id = export_id or uuid.uuid4()
    writer = _XlsxWriter() if out_format == "xlsx" else _CsvWriter()
    sheets = {sheet.key: sheet for sheet in fmt.SHEETS}
    counts = dict.fromkeys(sheets, 0)
    people = events = 0
    for part, chunk in enumerate(chunks(actor, scope, size=size), start=1):
        for key, rows in chunk.rows.items():
            writer.write(sheets[key], rows)
            counts[key] += len(rows)
        if chunk.people:
            # The read is recorded as it happens, slice by slice: a file cut short by a
            # crash still leaves the events of what was read.
            record(
                actor=actor,
                action=ExportAction.REGISTER_EXPORTED,
                object_type="register",
                object_id=str(export_id),
                detail={
                    "export": str(export_id),
                    "scope": scope.describe(),
                    "format": out_format,
                    "part": part,
                    "people": sorted(str(pk) for pk in chunk.people),
                },
            )
            events += 1
        people += len(chunk.people)
        if progress is not None:
            progress(people)
    writer.close(out)
    return ExportSummary(export_id=export_id, people=people, rows=counts, events=events)
