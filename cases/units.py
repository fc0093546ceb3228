"""Load administrative units from CSV (columns: code, name, level, parent_code).

A load that moves a unit under another parent changes which records the staff scoped to it
(and to its old and new ancestors) see, so each move is an access event naming the operator.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import transaction

from audit import actions as audit

from .choices import UnitLevel
from .directory import unit_write
from .events import CaseAction
from .models import AdministrativeUnit, validate_unit_code

COLUMNS = ("code", "name", "level", "parent_code")
LEVEL_ORDER = {UnitLevel.PROVINCE: 0, UnitLevel.DISTRICT: 1, UnitLevel.COMMUNE: 2}


def _rows(handle: TextIO) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    for row in reader:
        yield reader.line_num, {k: (row.get(k) or "").strip() for k in COLUMNS}


def _code_error(code: str) -> str | None:
    try:
        validate_unit_code(code)
    except ValidationError as error:
        return "; ".join(error.messages)
    return None


def units_load_csv(*, handle: TextIO, by: str) -> int:
    """Create or update the units in a CSV; all or nothing, every bad line reported.

    ``by`` names the operator who ran the load; it goes into the event of each moved unit.
    """
    rows = list(_rows(handle))
    errors: list[str] = []
    codes = {row["code"] for _, row in rows}
    for line, row in rows:
        if not row["code"] or not row["name"]:
            errors.append(f"line {line}: code and name are required")
        for column in ("code", "parent_code"):
            problem = _code_error(row[column]) if row[column] else None
            if problem:
                errors.append(f"line {line}: {column} {row[column]!r}: {problem}")
        if row["level"] not in LEVEL_ORDER:
            errors.append(f"line {line}: level must be province, district or commune")
        parent = row["parent_code"]
        if (
            parent
            and parent not in codes
            and not AdministrativeUnit.objects.filter(code=parent).exists()
        ):
            errors.append(f"line {line}: parent {parent!r} is neither in the file nor loaded")
    if errors:
        raise ValidationError(errors)
    # Parents first: provinces, then districts, then communes.
    rows.sort(key=lambda item: LEVEL_ORDER[UnitLevel(item[1]["level"])])
    with transaction.atomic():
        for line, row in rows:
            unit = AdministrativeUnit.objects.filter(code=row["code"]).first()
            unit = unit or AdministrativeUnit(code=row["code"])
            unit.name, unit.level = row["name"], row["level"]
            unit.parent = (
                AdministrativeUnit.objects.get(code=row["parent_code"])
                if row["parent_code"]
                else None
            )
            try:
                unit.full_clean(exclude=["path"])
            except ValidationError as error:
                raise ValidationError(f"line {line}: {'; '.join(error.messages)}") from None
            unit_write(
                actor=None,
                unit=unit,
                detail={"via": "load_units", "by": by},
                record_change=False,
            )
        audit.record(
            actor=None,
            action=CaseAction.DIRECTORY_CHANGED,
            object_type="administrativeunit",
            detail={
                "model": "administrativeunit",
                "change": "loaded",
                "rows": len(rows),
                "via": "load_units",
                "by": by,
            },
        )
    return len(rows)
