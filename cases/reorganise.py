"""Apply an official old → new map of administrative units (decision D43).

The mapping file has one row per old unit merged into a new one: ``new_code, new_name,
new_level, old_code, old_name, kind`` (``kind``: ``full``, the whole old unit went in, or
``partial``, only part of it: the old unit is split between several new ones). In one
transaction ``reorganise`` then:

- creates the new units, or reuses the row of the unit whose code the new unit keeps
  (renamed, moved under its new parent, active: its history keeps the old name and place);
- retires (``is_active`` off, the row kept) every other old unit of the mapping, and every
  district left with no unit in use under it, so old records, plans and history still read;
- re-addresses the people of each old unit (``Person.residence_commune``, one history row
  each, the version raised so an edit opened before fails as a conflict, and the copy on
  their cases), the organisations there and the staff scoped there. A person of a split
  unit goes where the choices file says, or by default to the new unit that keeps the old
  code, else to the first new unit listed for it; organisations and staff scopes go by the
  same default. Staff scoped to a retired unit that no row maps (a district) keep that
  scope, reaching nobody, and are listed: widening a scope is a decision for a person;
- records one ``units_reorganised`` event with the counts and every staff scope moved.

The report (also of the dry run, which does all of it and rolls back) gives the people per
old and new unit, the people placed by default, and how many people each staff member sees
before and after, so nobody gains or loses access by accident.
"""

from __future__ import annotations

import csv
import datetime
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from audit import actions as audit
from audit import context as audit_context

from . import access
from .choices import UnitLevel
from .events import CaseAction
from .models import (
    AdministrativeUnit,
    Case,
    Organisation,
    Person,
    ReaddressedPerson,
    Reorganisation,
    Residence,
    StaffProfile,
    UnitSuccession,
)

COLUMNS = ("new_code", "new_name", "new_level", "old_code", "old_name", "kind")
CHOICE_COLUMNS = ("person_id", "new_code")
KINDS = ("full", "partial")
CODE_RE = re.compile(r"\A[0-9A-Za-z]{1,10}\Z")
LEVELS = (UnitLevel.PROVINCE, UnitLevel.COMMUNE)
BATCH = 1000


@dataclass(frozen=True)
class MapRow:
    line: int
    new_code: str
    new_name: str
    new_level: str
    old_code: str
    old_name: str
    kind: str


@dataclass(frozen=True)
class Old:
    """A unit as loaded before the reorganisation."""

    pk: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    is_active: bool

    @property
    def province_code(self) -> str:
        return self.path.strip("/").split("/")[0]


@dataclass
class NewUnit:
    code: str
    name: str
    level: str
    line: int
    olds: list[str] = field(default_factory=list)
    parent_code: str = ""


@dataclass
class Report:
    """What a reorganisation does (or, in a dry run, would do)."""

    dry_run: bool
    effective_on: datetime.date | None = None
    rows: int = 0
    rows_not_loaded: int = 0
    created: int = 0
    reused: int = 0
    retired: int = 0
    # (code, name, people before, new codes) per old unit; (code, name, people after) per new.
    old_units: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    new_units: list[tuple[str, str, int]] = field(default_factory=list)
    people_moved: int = 0
    placed_by_choice: int = 0
    # (person id, old code, new code, the new codes to choose from), for the choices file.
    placed_by_default: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    organisations_moved: int = 0
    staff_moved: list[tuple[str, str, str]] = field(default_factory=list)
    staff_left: list[tuple[str, str]] = field(default_factory=list)
    organisations_left: list[tuple[str, str]] = field(default_factory=list)
    # (username, role, scope before, scope after, people visible before, after)
    visible: list[tuple[str, str, str, str, int, int]] = field(default_factory=list)

    def access_changes(self) -> list[tuple[str, str, str, str, int, int]]:
        return [row for row in self.visible if row[4] != row[5]]

    def lines(self) -> list[str]:
        head = "Dry run, nothing written." if self.dry_run else "Reorganisation applied."
        out = [head]
        if self.effective_on is not None:
            out.append(f"Takes effect on {self.effective_on.isoformat()}.")
        out += [
            f"Mapping rows: {self.rows} ({self.rows_not_loaded} skipped: their old unit is not "
            "loaded here or already retired).",
            f"Units: {self.created} created, {self.reused} kept their code (renamed or moved), "
            f"{self.retired} retired (kept, not in use).",
            f"People re-addressed: {self.people_moved} ({self.placed_by_choice} by the "
            f"choices file, {len(self.placed_by_default)} in split units by the default).",
            f"Organisations moved: {self.organisations_moved}; staff scopes moved: "
            f"{len(self.staff_moved)}; staff left on a retired unit: {len(self.staff_left)}.",
            "",
            "Old unit → new unit(s): people",
        ]
        out += [
            f"  {code} {name}: {people} → {', '.join(targets)}"
            for code, name, people, targets in self.old_units
        ]
        out += ["", "New unit: people after"]
        out += [f"  {code} {name}: {people}" for code, name, people in self.new_units]
        if self.placed_by_default:
            by_unit = Counter(old for _, old, _, _ in self.placed_by_default)
            out += ["", "Split units: people placed by the default (give them in a choices file)"]
            out += [f"  {code}: {count}" for code, count in sorted(by_unit.items())]
        if self.staff_left:
            out += ["", "Staff left on a retired unit (they see nobody there; give a new scope)"]
            out += [f"  {user}: {code}" for user, code in self.staff_left]
        if self.organisations_left:
            out += ["", "Organisations left on a retired unit (move them in the admin)"]
            out += [f"  {name}: {code}" for name, code in self.organisations_left]
        out += ["", "Staff: scope before → after, people visible before → after"]
        for user, role, before_scope, after_scope, before, after in self.visible:
            flag = "" if before == after else "   ← changes"
            out.append(
                f"  {user} ({role}): {before_scope} → {after_scope}, {before} → {after}{flag}"
            )
        return out


def _update(
    rows: list[Any], model: type[Any], fields: list[str], history: dict[str, Any] | None
) -> None:
    """Write ``fields`` of each row (one statement per row, pipelined by the driver), then
    its history row: Django's ``bulk_update`` builds a CASE over the batch per column, which
    costs seconds of Python for a few thousand rows."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    q = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  # nosec B608: model names
        q(meta.db_table), ", ".join(f"{q(c)} = %s" for c in columns), q(meta.pk.column)
    )
    attnames = [meta.get_field(name).attname for name in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                sql,
                [
                    [
                        *(
                            meta.get_field(name).get_db_prep_save(getattr(row, a), connection)
                            for name, a in zip(fields, attnames, strict=True)
                        ),
                        meta.pk.get_db_prep_save(row.pk, connection),
                    ]
                    for row in rows[start : start + BATCH]
                ],
            )
    if history is not None:
        model.history.bulk_history_create(
            rows, batch_size=BATCH, update=True, custom_historical_attrs=history
        )


class _DryRun(Exception):  # noqa: N818  (not an error: unwinds the dry run's transaction)
    pass


def _read(handle: TextIO, columns: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    missing = set(columns) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    for row in reader:
        yield reader.line_num, {k: (row.get(k) or "").strip() for k in columns}


def _loaded() -> dict[str, Old]:
    return {
        code: Old(pk, code, name, level, parent_id, path, active)
        for pk, code, name, level, parent_id, path, active in AdministrativeUnit.objects.order_by()
        .values_list("pk", "code", "name", "level", "parent_id", "path", "is_active")
        .iterator(chunk_size=5000)
    }


def _parse(
    handle: TextIO, loaded: dict[str, Old], report: Report
) -> tuple[dict[str, NewUnit], dict[str, list[str]], list[str]]:
    """Return the new units, each old code's new codes (file order) and the errors."""
    errors: list[str] = []
    new_units: dict[str, NewUnit] = {}
    targets: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, set[str]] = defaultdict(set)
    for line, raw in _read(handle, COLUMNS):
        report.rows += 1
        row = MapRow(line=line, **raw)
        bad = [c for c in ("new_code", "old_code") if not CODE_RE.match(getattr(row, c))]
        if bad:
            errors += [f"line {line}: {c} {getattr(row, c)!r} is not a unit code" for c in bad]
            continue
        if row.kind not in KINDS:
            errors.append(f"line {line}: kind must be full or partial")
        if row.new_level not in LEVELS:
            errors.append(f"line {line}: new_level must be province or commune")
            continue
        new = new_units.setdefault(
            row.new_code, NewUnit(row.new_code, row.new_name, row.new_level, line)
        )
        if (new.name, new.level) != (row.new_name, row.new_level):
            errors.append(
                f"line {line}: new unit {row.new_code} is {new.name!r} ({new.level}) on line "
                f"{new.line}"
            )
        old = loaded.get(row.old_code)
        if old is None or (not old.is_active and old.name == row.old_name):
            report.rows_not_loaded += 1
            continue
        if row.old_code in new.olds:
            errors.append(f"line {line}: {row.old_code} → {row.new_code} is listed twice")
            continue
        # A district may become a commune (the island districts of 2025); nothing else
        # changes level.
        if old.level != row.new_level and (old.level, row.new_level) != (
            UnitLevel.DISTRICT,
            UnitLevel.COMMUNE,
        ):
            errors.append(
                f"line {line}: old unit {row.old_code} is a {old.level}, the new one a "
                f"{row.new_level}"
            )
        if old.name != row.old_name or not old.is_active:
            errors.append(
                f"line {line}: unit {row.old_code} is {old.name!r} here, not {row.old_name!r}: "
                "the map is not the one this mapping starts from (already applied?)"
            )
        new.olds.append(row.old_code)
        targets[row.old_code].append(row.new_code)
        kinds[row.old_code].add(row.kind)
    for code, kind in kinds.items():
        if "full" in kind and len(targets[code]) > 1:
            errors.append(f"unit {code} is merged whole into one unit and also into others")
    # New units none of whose old units is loaded here are another instance's business.
    return {c: n for c, n in new_units.items() if n.olds}, dict(targets), errors


def _parents(
    new_units: dict[str, NewUnit], loaded: dict[str, Old], units: TextIO | None
) -> list[str]:
    """Set each new unit's parent code: from the new list if given, else derived."""
    errors: list[str] = []
    if units is not None:
        listed = {
            row["code"]: row["parent_code"] for _, row in _read(units, ("code", "parent_code"))
        }
        for new in new_units.values():
            if new.code not in listed:
                errors.append(f"line {new.line}: new unit {new.code} is not in the new list")
            new.parent_code = listed.get(new.code, "")
    else:
        province_of = {
            old: new.code
            for new in new_units.values()
            if new.level == UnitLevel.PROVINCE
            for old in new.olds
        }
        for new in new_units.values():
            if new.level == UnitLevel.PROVINCE:
                continue
            provinces = {
                province_of.get(loaded[old].province_code, loaded[old].province_code)
                for old in new.olds
            }
            if len(provinces) != 1:
                errors.append(
                    f"line {new.line}: the old units of {new.code} lie in provinces that "
                    f"became {', '.join(sorted(provinces))}: give the new list (--units)"
                )
            new.parent_code = min(provinces)
    for new in new_units.values():
        if new.level == UnitLevel.PROVINCE and new.parent_code:
            errors.append(f"line {new.line}: a province has no parent")
        if new.level != UnitLevel.PROVINCE and not (
            new.parent_code in new_units or new.parent_code in loaded
        ):
            errors.append(f"line {new.line}: parent {new.parent_code!r} of {new.code} is unknown")
    return errors


def _choices(
    handle: TextIO | None, targets: dict[str, list[str]], loaded: dict[str, Old]
) -> tuple[dict[uuid.UUID, str], list[str]]:
    if handle is None:
        return {}, []
    by_pk = {old.pk: old.code for old in loaded.values()}
    wanted: dict[uuid.UUID, tuple[int, str]] = {}
    errors: list[str] = []
    for line, row in _read(handle, CHOICE_COLUMNS):
        try:
            wanted[uuid.UUID(row["person_id"])] = (line, row["new_code"])
        except ValueError:
            errors.append(f"line {line}: {row['person_id']!r} is not a person id")
    homes = dict(
        Person.objects.filter(pk__in=list(wanted)).values_list("pk", "residence_commune_id")
    )
    chosen: dict[uuid.UUID, str] = {}
    for pk, (line, code) in wanted.items():
        old = by_pk.get(homes[pk]) if pk in homes else None
        if old is None:
            errors.append(f"line {line}: no person {pk}")
        elif code not in targets.get(old, []):
            errors.append(
                f"line {line}: {code!r} is not one of the new units of {old} "
                f"({', '.join(targets.get(old, [])) or 'not in the mapping'})"
            )
        else:
            chosen[pk] = code
    return chosen, errors


def _default(old_code: str, targets: list[str]) -> str:
    return old_code if old_code in targets else targets[0]


def _visible(users: list[User]) -> dict[int, tuple[str, str, str, int]]:
    """(username, role, scope code, people visible) per staff user, read fresh."""
    fresh = User.objects.filter(pk__in=[u.pk for u in users]).select_related("staff__scope_unit")
    return {
        user.pk: (
            user.username,
            user.staff.role,
            user.staff.scope_unit.code,
            access.visible_people(user).count(),
        )
        for user in fresh
    }


def reorganise(
    *,
    mapping: TextIO,
    by: str,
    choices: TextIO | None = None,
    units: TextIO | None = None,
    dry_run: bool = False,
    source: str = "",
    effective_on: datetime.date | None = None,
) -> Report:
    """Apply the mapping in one transaction (all or nothing); see the module's docstring.

    ``effective_on`` is the new map's first day (today when not given): the day the decree
    says, which may be before the run; never after today, nor before the last run's.
    Raises ``ValidationError`` listing every problem of the files (nothing written).
    """
    effective_on = effective_on or timezone.localdate()
    report = Report(dry_run=dry_run, effective_on=effective_on)
    loaded = _loaded()
    new_units, targets, errors = _parse(mapping, loaded, report)
    errors += _effective_errors(effective_on)
    errors += _parents(new_units, loaded, units)
    chosen, choice_errors = _choices(choices, targets, loaded)
    errors += choice_errors
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            _apply(
                report,
                loaded,
                new_units,
                targets,
                chosen,
                by=by,
                source=source,
                effective_on=effective_on,
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _effective_errors(day: datetime.date) -> list[str]:
    """Refuse a first day after today (the people are re-addressed now) or before the last
    run's (the old-map choice of past periods reads the latest run, ``reports.oldmap``)."""
    if day > timezone.localdate():
        return [f"effective date {day.isoformat()} is after today: apply the map on or after it"]
    last = Reorganisation.objects.order_by("-effective_on").values_list("effective_on", flat=True)
    latest = last.first()
    if latest is not None and day < latest:
        return [
            f"effective date {day.isoformat()} is before the last reorganisation's "
            f"({latest.isoformat()}): runs take effect in the order they are applied"
        ]
    return []


def _apply(
    report: Report,
    loaded: dict[str, Old],
    new_units: dict[str, NewUnit],
    targets: dict[str, list[str]],
    chosen: dict[uuid.UUID, str],
    *,
    by: str,
    source: str,
    effective_on: datetime.date,
) -> None:
    history = {"history_request_id": audit_context.current().request_id}
    # The run and its mapping are kept, so a past period reads on the old map (D57); the
    # units as they were before are in their history as of ``applied_at``.
    run = Reorganisation.objects.create(
        applied_at=timezone.now(), effective_on=effective_on, by=by, source=source[:255]
    )
    staff_users = list(
        User.objects.filter(is_active=True, staff__isnull=False).order_by("username")
    )
    before = _visible(staff_users)
    old_pks = {loaded[code].pk: code for code in targets}
    people_before = Counter(
        Person.objects.filter(residence_commune_id__in=list(old_pks)).values_list(
            "residence_commune_id", flat=True
        )
    )
    pk_of = _write_units(report, loaded, new_units, targets, history)

    # People: their old unit's pk is unchanged, whatever became of its row.
    moves: dict[int, list[Person]] = defaultdict(list)
    readdressed: list[ReaddressedPerson] = []
    people = Person.objects.filter(residence_commune_id__in=list(old_pks)).order_by("pk")
    for person in people.iterator(chunk_size=BATCH):
        old_code = old_pks[person.residence_commune_id]
        options = targets[old_code]
        if person.pk in chosen:
            new_code = chosen[person.pk]
            report.placed_by_choice += 1
        else:
            new_code = _default(old_code, options)
            if len(options) > 1:
                report.placed_by_default.append((str(person.pk), old_code, new_code, options))
        new_pk = pk_of[new_code]
        readdressed.append(
            ReaddressedPerson(
                reorganisation=run,
                person_id=person.pk,
                old_unit_id=person.residence_commune_id,
                new_unit_id=new_pk,
            )
        )
        if new_pk != person.residence_commune_id:
            person.residence_commune_id = new_pk
            person.version += 1
            moves[new_pk].append(person)
    ReaddressedPerson.objects.bulk_create(readdressed, batch_size=BATCH)
    UnitSuccession.objects.bulk_create(
        [
            UnitSuccession(
                reorganisation=run,
                old_unit_id=loaded[old].pk,
                new_unit_id=pk_of[new],
                kind="full" if len(options) == 1 else "partial",
            )
            for old, options in targets.items()
            for new in options
        ],
        batch_size=BATCH,
    )
    for new_pk, moved in moves.items():
        for start in range(0, len(moved), BATCH):
            batch = moved[start : start + BATCH]
            _update(batch, Person, ["residence_commune", "version"], history)
            Case.objects.filter(person_id__in=[p.pk for p in batch]).update(
                residence_commune_id=new_pk
            )
            # The current stretch of residence is re-addressed with its person (nobody moved:
            # the place got a new unit); ended stretches keep the old units (D50).
            Residence.objects.filter(
                person_id__in=[p.pk for p in batch], ended_on__isnull=True
            ).update(commune_id=new_pk)
        report.people_moved += len(moved)

    # Organisations and staff scopes: the default new unit of their old unit.
    def successor(unit_id: int) -> int:
        code = old_pks[unit_id]
        return pk_of[_default(code, targets[code])]

    organisations = [
        org
        for org in Organisation.objects.filter(unit_id__in=list(old_pks))
        if successor(org.unit_id) != org.unit_id
    ]
    for org in organisations:
        org.unit_id = successor(org.unit_id)
    _update(organisations, Organisation, ["unit"], history)
    report.organisations_moved = len(organisations)
    code_of = {pk: code for code, pk in pk_of.items()} | {o.pk: o.code for o in loaded.values()}
    profiles = list(
        StaffProfile.objects.filter(scope_unit_id__in=list(old_pks)).select_related("user")
    )
    moved_profiles = []
    for profile in profiles:
        new_pk = successor(profile.scope_unit_id)
        if new_pk != profile.scope_unit_id:
            report.staff_moved.append(
                (profile.user.username, code_of[profile.scope_unit_id], code_of[new_pk])
            )
            profile.scope_unit_id = new_pk
            moved_profiles.append(profile)
    _update(moved_profiles, StaffProfile, ["scope_unit"], None)  # no history: the event
    report.staff_left = list(
        StaffProfile.objects.filter(scope_unit__is_active=False)
        .order_by("user__username")
        .values_list("user__username", "scope_unit__code")
    )

    report.organisations_left = list(
        Organisation.objects.filter(is_active=True, unit__is_active=False)
        .order_by("name")
        .values_list("name", "unit__code")
    )
    after = _visible(staff_users)
    report.visible = [
        (*before[u.pk][:3], after[u.pk][2], before[u.pk][3], after[u.pk][3])
        for u in staff_users
        if u.pk in before and u.pk in after
    ]
    people_after = Counter(
        Person.objects.filter(residence_commune_id__in=list(pk_of.values())).values_list(
            "residence_commune_id", flat=True
        )
    )
    report.old_units = [
        (code, loaded[code].name, people_before[loaded[code].pk], targets[code]) for code in targets
    ]
    report.new_units = [
        (code, new.name, people_after[pk_of[code]]) for code, new in new_units.items()
    ]
    audit.record(
        actor=None,
        action=CaseAction.UNITS_REORGANISED,
        object_type="administrativeunit",
        detail={
            "via": "reorganise_units",
            "by": by,
            "source": source,
            "units_created": report.created,
            "units_reused": report.reused,
            "units_retired": report.retired,
            "people_moved": report.people_moved,
            "placed_by_choice": report.placed_by_choice,
            "placed_by_default": len(report.placed_by_default),
            "organisations_moved": report.organisations_moved,
            "staff_scopes_moved": [list(move) for move in report.staff_moved],
            "staff_left_on_retired_units": [list(left) for left in report.staff_left],
            "organisations_left_on_retired_units": len(report.organisations_left),
        },
    )


def _write_units(
    report: Report,
    loaded: dict[str, Old],
    new_units: dict[str, NewUnit],
    targets: dict[str, list[str]],
    history: dict[str, Any],
) -> dict[str, int]:
    """Create, reuse and retire units; return the pk of every new unit by code."""
    pk_of: dict[str, int] = {}
    path_of: dict[str, str] = {}
    by_pk = {old.pk: old for old in loaded.values()}
    reused: list[AdministrativeUnit] = []
    for level in LEVELS:
        create: list[AdministrativeUnit] = []
        for new in new_units.values():
            if new.level != level:
                continue
            if new.parent_code:
                parent_pk = pk_of.get(new.parent_code) or loaded[new.parent_code].pk
                parent_path = path_of.get(new.parent_code) or loaded[new.parent_code].path
            else:
                parent_pk, parent_path = None, "/"
            path = f"{parent_path}{new.code}/"
            path_of[new.code] = path
            old = loaded.get(new.code)
            if old is None:
                create.append(
                    AdministrativeUnit(
                        code=new.code,
                        name=new.name,
                        level=new.level,
                        parent_id=parent_pk,
                        path=path,
                    )
                )
                continue
            pk_of[new.code] = old.pk
            if (old.name, old.level, old.parent_id, old.path, old.is_active) != (
                new.name,
                new.level,
                parent_pk,
                path,
                True,
            ):
                reused.append(
                    AdministrativeUnit(
                        pk=old.pk,
                        code=new.code,
                        name=new.name,
                        level=new.level,
                        parent_id=parent_pk,
                        path=path,
                        is_active=True,
                    )
                )
        for unit in bulk_create_with_history(
            create, AdministrativeUnit, batch_size=BATCH, custom_historical_attrs=history
        ):
            pk_of[unit.code] = unit.pk
        report.created += len(create)
    _update(reused, AdministrativeUnit, ["name", "level", "parent", "path", "is_active"], history)
    report.reused = len(reused)
    # Retire the old units whose code no new unit keeps, then the districts emptied.
    retired = [loaded[code] for code in targets if code not in new_units]
    before_parents = [old.parent_id for old in retired] + [loaded[u.code].parent_id for u in reused]
    parents = {pk for pk in before_parents if pk is not None}
    retire_pks = {old.pk for old in retired}
    still_used = set(
        AdministrativeUnit.objects.filter(parent_id__in=parents, is_active=True)
        .exclude(pk__in=retire_pks)
        .values_list("parent_id", flat=True)
    )
    retire_pks |= {
        pk
        for pk in parents
        if pk not in still_used and by_pk[pk].level == UnitLevel.DISTRICT and by_pk[pk].is_active
    }
    # One UPDATE, then their history rows (bulk_update's CASE per row is quadratic).
    report.retired = AdministrativeUnit.objects.filter(pk__in=retire_pks).update(is_active=False)
    AdministrativeUnit.history.bulk_history_create(
        list(AdministrativeUnit.objects.filter(pk__in=retire_pks).order_by("pk")),
        batch_size=BATCH,
        update=True,
        custom_historical_attrs=history,
    )
    return pk_of
