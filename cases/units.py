"""Load administrative units from CSV (columns: code, name, level, parent_code), in bulk.

A load adds units; it never changes the map (decision D43). The whole file is checked first,
against itself and against the units already loaded, and every bad line is reported with
nothing written. A unit already loaded must come back with the same name, level and parent:
a rename, a move or a change of level, and a two-tier list loaded onto a three-tier tree (or
the reverse), is a reorganisation (``reorganise_units``, ``cases.reorganise``) and is
refused with a message saying so. The new units are then written level by level, one
``INSERT`` per level with their history rows, and the load is one ``directory_changed``
event with its counts. Reloading the same list writes only that event.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from audit import actions as audit
from audit import context as audit_context

from .choices import UnitLevel
from .events import CaseAction
from .models import ALLOWED_PARENT, AdministrativeUnit

COLUMNS = ("code", "name", "level", "parent_code")
LEVEL_ORDER = {UnitLevel.PROVINCE: 0, UnitLevel.DISTRICT: 1, UnitLevel.COMMUNE: 2}
CODE_RE = re.compile(r"\A[0-9A-Za-z]+\Z")
CODE_MAX = AdministrativeUnit._meta.get_field("code").max_length or 10
NAME_MAX = AdministrativeUnit._meta.get_field("name").max_length or 200
REORGANISE_HINT = (
    "A change of the administrative map is a reorganisation, not a load: apply the official "
    "old → new mapping with `manage.py reorganise_units MAPPING_FILE --dry-run` first "
    "(docs/units.md)."
)
# How many lines of each refusal a message lists (the counts are always complete).
SHOWN = 10


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


@dataclass(frozen=True)
class LoadedUnit:
    """A unit already in the database, as the loader compares it."""

    pk: int
    name: str
    level: str
    parent_code: str
    path: str
    is_active: bool


@dataclass
class LoadPlan:
    """What a load would do: the units to add, those unchanged, and what it refuses."""

    rows: list[UnitRow]
    added: list[UnitRow] = field(default_factory=list)
    unchanged: int = 0
    renamed: list[tuple[UnitRow, str]] = field(default_factory=list)
    moved: list[tuple[UnitRow, str]] = field(default_factory=list)
    relevelled: list[tuple[UnitRow, str]] = field(default_factory=list)
    file_shape: str = ""
    loaded_shape: str = ""

    def added_by_level(self) -> dict[str, int]:
        counts = {str(level): 0 for level in LEVEL_ORDER}
        for row in self.added:
            counts[row.level] += 1
        return counts

    def refusals(self) -> list[str]:
        """Return why this load is a reorganisation (empty: it is a plain load)."""
        reasons: list[str] = []
        if self.file_shape and self.loaded_shape and self.file_shape != self.loaded_shape:
            reasons.append(
                f"the file is a {self.file_shape} list but the units loaded form a "
                f"{self.loaded_shape} tree: loading it would mix the two maps"
            )
        for label, items, what in (
            ("renamed", self.renamed, "name"),
            ("moved", self.moved, "parent"),
            ("change level", self.relevelled, "level"),
        ):
            if items:
                shown = "; ".join(
                    f"line {row.line}: {row.code} ({what} {old!r} → "
                    f"{getattr(row, 'parent_code' if what == 'parent' else what)!r})"
                    for row, old in items[:SHOWN]
                )
                more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
                reasons.append(
                    f"{len(items)} unit(s) already loaded would be {label}: {shown}{more}"
                )
        return reasons

    def summary(self) -> str:
        added = self.added_by_level()
        return (
            f"{len(self.rows)} rows: {len(self.added)} new ({added['province']} provinces, "
            f"{added['district']} districts, {added['commune']} communes), "
            f"{self.unchanged} already loaded unchanged"
        )


class ReorganisationRefused(ValidationError):
    """The load would change the map: that is ``reorganise_units``' work."""


def _rows(handle: TextIO) -> Iterable[UnitRow]:
    reader = csv.DictReader(handle)
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    for row in reader:
        values = {k: (row.get(k) or "").strip() for k in COLUMNS}
        yield UnitRow(line=reader.line_num, **values)


def _code_problem(code: str) -> str | None:
    if not CODE_RE.match(code):
        return "A unit code has only letters A–Z and digits 0–9."
    if len(code) > CODE_MAX:
        return f"A unit code has at most {CODE_MAX} characters."
    return None


def _loaded() -> dict[str, LoadedUnit]:
    """Every unit already loaded, by code, in one query."""
    rows = AdministrativeUnit.objects.order_by().values_list(
        "pk", "code", "name", "level", "parent__code", "path", "is_active"
    )
    return {
        code: LoadedUnit(pk, name, level, parent_code or "", path, active)
        for pk, code, name, level, parent_code, path, active in rows.iterator(chunk_size=5000)
    }


def tree_shape(units: Iterable[tuple[str, str]]) -> str:
    """Return "three-tier", "two-tier", "mixed" or "" for (level, parent level) pairs."""
    districts = communes_under_provinces = False
    for level, parent_level in units:
        districts |= level == UnitLevel.DISTRICT
        communes_under_provinces |= (
            level == UnitLevel.COMMUNE and parent_level == UnitLevel.PROVINCE
        )
    if districts and communes_under_provinces:
        return "mixed"
    if districts:
        return "three-tier"
    return "two-tier" if communes_under_provinces else ""


def _check(rows: list[UnitRow], loaded: dict[str, LoadedUnit]) -> list[str]:
    """Return every problem of the file, line by line (empty: it may be loaded)."""
    errors: list[str] = []
    first_line: dict[str, int] = {}
    in_file = {row.code: row for row in rows}
    for row in rows:
        if not row.code or not row.name:
            errors.append(f"line {row.line}: code and name are required")
        for column in ("code", "parent_code"):
            value = getattr(row, column)
            problem = _code_problem(value) if value else None
            if problem:
                errors.append(f"line {row.line}: {column} {value!r}: {problem}")
        if row.code and row.code in first_line:
            errors.append(
                f"line {row.line}: code {row.code!r} is also on line {first_line[row.code]}"
            )
        first_line.setdefault(row.code, row.line)
        if len(row.name) > NAME_MAX:
            errors.append(f"line {row.line}: a name has at most {NAME_MAX} characters")
        if row.level not in LEVEL_ORDER:
            errors.append(f"line {row.line}: level must be province, district or commune")
            continue
        if not row.parent_code:
            if row.level != UnitLevel.PROVINCE:
                errors.append(f"line {row.line}: a {row.level} needs a parent_code")
            continue
        if row.level == UnitLevel.PROVINCE:
            errors.append(f"line {row.line}: a province has no parent_code")
            continue
        parent = in_file.get(row.parent_code) or loaded.get(row.parent_code)
        if parent is None:
            errors.append(
                f"line {row.line}: parent {row.parent_code!r} is neither in the file nor loaded"
            )
        elif parent.level not in ALLOWED_PARENT[UnitLevel(row.level)]:
            errors.append(
                f"line {row.line}: a {row.level} cannot sit under {row.parent_code!r} "
                f"(a {parent.level})"
            )
    return errors


def units_plan(*, handle: TextIO) -> LoadPlan:
    """Read and check a whole file, and compare it with the units loaded; write nothing.

    Raises ``ValidationError`` listing every bad line.
    """
    rows = list(_rows(handle))
    loaded = _loaded()
    errors = _check(rows, loaded)
    if errors:
        raise ValidationError(errors)
    plan = LoadPlan(rows=rows)
    in_file = {row.code: row for row in rows}
    for row in rows:
        unit = loaded.get(row.code)
        if unit is None:
            plan.added.append(row)
        elif unit.level != row.level:
            plan.relevelled.append((row, unit.level))
        elif unit.parent_code != row.parent_code:
            plan.moved.append((row, unit.parent_code))
        elif unit.name != row.name:
            plan.renamed.append((row, unit.name))
        else:
            plan.unchanged += 1

    def level_of(code: str) -> str:
        return in_file[code].level if code in in_file else loaded[code].level

    plan.file_shape = tree_shape(
        (row.level, level_of(row.parent_code) if row.parent_code else "") for row in rows
    )
    active = {code: unit for code, unit in loaded.items() if unit.is_active}
    plan.loaded_shape = tree_shape(
        (unit.level, active[unit.parent_code].level if unit.parent_code in active else "")
        for unit in active.values()
    )
    # Only two pure shapes conflict: a mixed file or tree (a test tree, a half-done
    # migration) is left to the move and rename checks.
    if "mixed" in (plan.file_shape, plan.loaded_shape):
        plan.file_shape = plan.loaded_shape = ""
    return plan


def units_load_csv(*, handle: TextIO, by: str, dry_run: bool = False) -> LoadPlan:
    """Add the units of a CSV; all or nothing, every bad line reported, nothing moved.

    ``by`` names the operator who ran the load; it goes into the load's event. A load that
    would rename, move or re-level a unit already loaded, or mix a two-tier list into a
    three-tier tree, raises ``ReorganisationRefused`` (nothing written). ``dry_run`` returns
    the plan without writing.
    """
    plan = units_plan(handle=handle)
    refusals = plan.refusals()
    if refusals:
        raise ReorganisationRefused([*refusals, REORGANISE_HINT])
    if dry_run:
        return plan
    with transaction.atomic():
        _create(plan.added)
        audit.record(
            actor=None,
            action=CaseAction.DIRECTORY_CHANGED,
            object_type="administrativeunit",
            detail={
                "model": "administrativeunit",
                "change": "loaded",
                "rows": len(plan.rows),
                "added": len(plan.added),
                "unchanged": plan.unchanged,
                "via": "load_units",
                "by": by,
            },
        )
    return plan


def _create(rows: list[UnitRow]) -> None:
    """Insert new units level by level (parents first), each level one bulk insert with
    its history rows; paths are computed here, as ``AdministrativeUnit.save`` would."""
    if not rows:
        return
    needed = {row.parent_code for row in rows if row.parent_code}
    parents = {
        code: (pk, path)
        for pk, code, path in AdministrativeUnit.objects.filter(code__in=needed).values_list(
            "pk", "code", "path"
        )
    }
    history = {"history_request_id": audit_context.current().request_id}
    for level in LEVEL_ORDER:
        units = []
        for row in rows:
            if row.level != level:
                continue
            parent_pk, parent_path = parents[row.parent_code] if row.parent_code else (None, "/")
            units.append(
                AdministrativeUnit(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    parent_id=parent_pk,
                    path=f"{parent_path}{row.code}/",
                )
            )
        created = bulk_create_with_history(
            units, AdministrativeUnit, batch_size=2000, custom_historical_attrs=history
        )
        for unit in created:
            parents[unit.code] = (unit.pk, unit.path)
