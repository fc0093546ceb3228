"""Write a filtered view of the audit log as CSV or XLSX (openpyxl, write-only mode).

Headers and action names are in the reader's language; in XLSX, numbers are numbers and
times are dates (shown dd/mm/yyyy hh:mm:ss), so a spreadsheet sorts and filters them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from . import registry
from .models import Event

MAX_ROWS = 200_000
XLSX_TIME_FORMAT = "dd/mm/yyyy hh:mm:ss"

Cell = int | str | datetime


def columns() -> list[str]:
    """Return the column headers, translated."""
    return [
        _("No."),
        _("Time"),
        _("User"),
        _("Organisation"),
        _("Action"),
        _("Action code"),
        _("Object type"),
        _("Object id"),
        _("Person (record id)"),
        _("IP address"),
        _("User agent"),
        _("Request id"),
        _("Detail"),
        _("Hash"),
    ]


def pseudonym(person_id: Any) -> str:
    """Return the record id auditors see: never a name."""
    return "" if person_id is None else str(person_id)


CSV_TIME_FORMAT = "%d/%m/%Y %H:%M:%S"  # as the screens and the XLSX show it, to the second


def rows(events: QuerySet[Event]) -> Iterator[list[Cell]]:
    names: dict[Any, str] = {}  # a few organisations over any number of rows
    for e in events.select_related("link")[:MAX_ROWS].iterator(chunk_size=2000):
        org = e.organisation_id
        if org is not None and org not in names:
            names[org] = registry.organisation_names({org}).get(org, str(org))
        yield [
            e.seq,
            timezone.localtime(e.at),
            e.actor.get_username() if e.actor else "",
            names[org] if org is not None else "",
            registry.label(e.action),
            e.action,
            e.object_type,
            e.object_id,
            pseudonym(e.person_id),
            e.ip or "",
            e.user_agent,
            e.request_id,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
            _chain_hash(e),
        ]


def _chain_hash(event: Event) -> str:
    """Return the event's hash in the chain ("" in the moment before it is chained)."""
    link = getattr(event, "link", None)  # a missing reverse one-to-one raises AttributeError
    return link.hash if link is not None else ""


def _safe(cell: str) -> str:
    # A cell starting with = + - @ (or a tab or carriage return before one) would run as a
    # formula when the file is opened in a spreadsheet.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _text(cell: Cell) -> str:
    if isinstance(cell, datetime):
        return cell.strftime(CSV_TIME_FORMAT)
    return _safe(str(cell)) if isinstance(cell, str) else str(cell)


def to_csv(data: Iterable[list[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns())
    for row in data:
        writer.writerow([_text(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens UTF-8 Vietnamese right


def _xlsx_cells(sheet: Any, row: list[Cell]) -> list[Any]:
    cells: list[Any] = []
    for value in row:
        if isinstance(value, datetime):
            # Excel has no time zones: the local (Viet Nam) time, as the screens show it.
            cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
            cell.number_format = XLSX_TIME_FORMAT
            cells.append(cell)
        elif isinstance(value, int):
            cells.append(value)
        else:
            cells.append(_safe(value))
    return cells


def to_xlsx(data: Iterable[list[Cell]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("events"))
    sheet.append(columns())
    for row in data:
        sheet.append(_xlsx_cells(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
