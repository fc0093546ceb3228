"""Write a filtered view of the audit log as CSV or XLSX (openpyxl, write-only mode)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from .models import Event

COLUMNS = [
    "seq", "time", "user", "organisation", "action", "object_type", "object_id", "person",
    "ip", "user_agent", "request_id", "detail", "hash",
]  # fmt: skip
MAX_ROWS = 200_000


def pseudonym(person_id: Any) -> str:
    """Return the record id auditors see: never a name."""
    return "" if person_id is None else str(person_id)


def rows(events: QuerySet[Event]) -> Iterator[list[str]]:
    for e in events[:MAX_ROWS].iterator(chunk_size=2000):
        yield [
            str(e.seq),
            timezone.localtime(e.at).isoformat(),
            e.actor.get_username() if e.actor else "",
            str(e.organisation_id or ""),
            e.action,
            e.object_type,
            e.object_id,
            pseudonym(e.person_id),
            e.ip or "",
            e.user_agent,
            e.request_id,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
            e.hash,
        ]


def _safe(cell: str) -> str:
    # A cell starting with = + - @ (or a tab or carriage return before one) would run as a
    # formula when the file is opened in a spreadsheet.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def to_csv(data: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in data:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens UTF-8 Vietnamese right


def to_xlsx(data: Iterable[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("events")
    sheet.append(COLUMNS)
    for row in data:
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
