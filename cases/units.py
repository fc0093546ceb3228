"""Load administrative units from CSV (columns: code, name, level, parent_code)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import UnitLevel
from .models import AdministrativeUnit

COLUMNS = ("code", "name", "level", "parent_code")
LEVEL_ORDER = {UnitLevel.PROVINCE: 0, UnitLevel.DISTRICT: 1, UnitLevel.COMMUNE: 2}


def _rows(handle: TextIO) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    for row in reader:
        yield reader.line_num, {k: (row.get(k) or "").strip() for k in COLUMNS}


def units_load_csv(handle: TextIO) -> int:
    """Create or update the units in a CSV; all or nothing, every bad line reported."""
    rows = list(_rows(handle))
    errors: list[str] = []
    codes = {row["code"] for _, row in rows}
    for line, row in rows:
        if not row["code"] or not row["name"]:
            errors.append(f"line {line}: code and name are required")
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
            unit.save()
    return len(rows)
