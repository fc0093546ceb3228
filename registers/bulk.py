"""The import's fast write path: many rows of one sheet saved at once (decision D44).

Row by row, the actions cost a savepoint, a dozen queries (the scope checks, the duplicate
checks, ``full_clean``'s look-ups), a history row and an event per row: 8 rows a second on
the reference machine. A batch of up to ``BATCH_ROWS`` rows of the people-and-cases or
services sheet is written here instead, with the same guarantees, each checked once per
batch:

- built by the actions' own code (``cases.actions.person_new``/``case_new``), validated by
  the models' own ``clean`` (``full_clean`` without its per-row database look-ups: the
  references come from the checked file, and the database's own constraints are checked at
  the end of the batch);
- the scope: the verb, the people and cases the importer may change (one query each), the
  organisation and the assignee of each distinct pair (``case_assignee_check``);
- the duplicates: the batch's citizen ID numbers looked up at once (and all of the
  import's again just before it commits, under ``CITIZEN_IDS_LOCK``: D54), the namesakes found
  through the name + year index at once, with the same rules as ``possible_duplicates``;
- saved with ``bulk_create_with_history`` (history rows naming the import's request id) and
  one ``register_import_rows`` event per batch naming every person and record written.

Anything a batch cannot settle on its own (a person already in the system chosen as the
same person, a possible duplicate, a refusal) raises: the caller rolls the batch back to
its savepoint and writes its rows one by one through the actions, which place each problem
on its sheet, row and column as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts import capabilities
from accounts.capabilities import can
from accounts.models import User, account_of
from audit import actions as audit
from audit import selectors as audit_selectors
from audit.reads import record_read
from cases import access, dues
from cases.actions import (
    CITIZEN_IDS_LOCK,
    DUPLICATE_CHECKS_PER_HOUR,
    CaseData,
    PersonData,
    case_assignee_check,
    case_new,
    person_new,
)
from cases.events import CaseAction
from cases.models import Case, Person
from core import normalize
from core.fields import BlindIndexField
from services.capabilities import SERVICE_ADD
from services.models import ServiceRecord

from .events import REGISTER_IMPORT_ROWS
from .keystore import IdMap

BATCH_ROWS = 500  # rows of one sheet written at once


class Unsettled(Exception):
    """The batch needs the row-by-row path (which reports or settles each row)."""


Rows = Sequence[tuple[int, dict[str, Any]]]


def _clean(instance: models.Model) -> None:
    """The model's own validation, without the per-row database look-ups of ``full_clean``.

    Foreign keys come from the checked file's look-ups (rows that exist); uniqueness and
    the check constraints are the database's, checked when the batch is inserted.
    """
    related = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=related, validate_unique=False, validate_constraints=False)


def _save(model: type[models.Model], rows: list[Any], actor: User, request_id: str) -> None:
    for row in rows:
        row._history_user = actor
    bulk_create_with_history(
        rows,
        model,
        default_user=actor,
        custom_historical_attrs={"history_request_id": request_id},
    )


def _constraints_now() -> None:
    """Check the deferred constraints (foreign keys) now, inside the batch's savepoint."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _index(field_name: str, *values: Any) -> int | None:
    field = Person._meta.get_field(field_name)
    assert isinstance(field, BlindIndexField)  # noqa: S101
    return field.compute(*values)


def _no_citizen_id_holders(actor: User, people: list[Person]) -> None:
    """Lock the batch's citizen ID numbers (as ``person_register`` does, one at a time) and
    refuse the batch if anyone already holds one of them."""
    numbers = {normalize.digits(p.citizen_id): p for p in people if p.citizen_id}
    if not numbers:
        return
    since = timezone.now() - timedelta(hours=1)
    seen = audit_selectors.count_by(actor=actor, action=CaseAction.DUPLICATE_CHECK, since=since)
    if seen >= DUPLICATE_CHECKS_PER_HOUR:
        raise Unsettled  # the action refuses each one, and records why
    keys = sorted({k for k in (_index("citizen_id_index", n) for n in numbers) if k is not None})
    # No lock here (D54): a number registered through a form while the import runs is
    # caught when the import checks its numbers again before it commits
    # (``citizen_ids_still_free``).
    for holder in Person.objects.filter(citizen_id_index__in=keys).only("id", "citizen_id"):
        if normalize.digits(holder.citizen_id or "") in numbers:
            raise Unsettled  # the action refuses it and records the lookup


def citizen_ids_still_free(*, people: Iterable[UUID], ours: Callable[[UUID], bool]) -> list[UUID]:
    """Check again, just before the import commits, that no one else holds a citizen ID
    number of the people it registered (``people``: their ids, read as they come; ``ours``:
    whether an id is a person of this import); return the ids of those whose number
    someone else now holds.

    Decision D54: the import holds no lock while it writes. Here it takes the lock over all
    citizen ID registrations (``CITIZEN_IDS_LOCK``) exclusively, so registrations under way
    finish first and new ones wait for the commit (seconds, not the whole import), then
    compares its numbers with every other holder of the same blind index bucket.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [CITIZEN_IDS_LOCK])
    taken: list[UUID] = []
    for batch in itertools.batched(people, CHECK_CHUNK, strict=False):
        chunk = list(batch)
        mine_by_index: dict[int, dict[str, UUID]] = {}
        for person in (
            Person.objects.filter(pk__in=chunk, citizen_id_index__isnull=False)
            .only("id", "citizen_id", "citizen_id_index")
            .iterator()
        ):
            number = normalize.digits(person.citizen_id or "")
            if number and person.citizen_id_index is not None:
                mine_by_index.setdefault(person.citizen_id_index, {})[number] = person.pk
        if not mine_by_index:
            continue
        others = (
            Person.objects.filter(citizen_id_index__in=list(mine_by_index))
            .exclude(pk__in=chunk)
            .only("id", "citizen_id", "citizen_id_index")
        )
        for other in others.iterator():
            if ours(other.pk):
                continue  # another person of this import (the file's numbers decide)
            mine = mine_by_index.get(other.citizen_id_index or 0, {})
            pk = mine.get(normalize.digits(other.citizen_id or ""))
            if pk is not None:
                taken.append(pk)
    return taken


CHECK_CHUNK = 2_000  # people compared per query in the check before commit


def _namesakes(
    actor: User, people: dict[str, Person], shown: dict[str, list[str]], request_id: str
) -> dict[str, list[str]]:
    """Return, per new person, the people the importer may see who may be them (the rules of
    ``possible_duplicates``), refusing the batch if one was not shown as a candidate.

    People this import wrote (their history names ``request_id``) are other people: the
    file's person numbers decide within a file.
    """
    indexes = {_index("name_year_index", p.full_name, p.birth_year) for p in people.values()}
    seen = list(
        access.visible_people(actor).filter(name_year_index__in=indexes - {None}).order_by("pk")
    )
    if not seen:
        return {}
    written = {
        str(pk)
        for pk in Person.history.filter(
            id__in=[p.pk for p in seen], history_request_id=request_id
        ).values_list("id", flat=True)
    }
    found: dict[str, list[str]] = {}
    for key, person in people.items():
        wanted = normalize.fold_text(person.full_name)
        typed = normalize.digits(person.citizen_id or "")
        matches = [
            str(other.pk)
            for other in seen
            if other.birth_year == person.birth_year
            and other.sex == person.sex
            and normalize.fold_text(other.full_name) == wanted
            and not (typed and other.citizen_id and normalize.digits(other.citizen_id) != typed)
        ]
        allowed = shown.get(key, [])
        if any(match not in written and match not in allowed for match in matches):
            raise Unsettled  # the action refuses it as a possible duplicate
        if matches:
            found[key] = matches
    listed = sorted({m for matches in found.values() for m in matches})
    if listed:  # as possible_duplicates records the people it finds
        record_read(
            actor=actor,
            action=CaseAction.SEARCH,
            detail={"kind": "registration", "found": len(listed), "people": listed},
        )
    return found


def _changeable(actor: User, model: type[models.Model], ids: Iterable[UUID]) -> dict[UUID, Any]:
    """Return the rows the importer may change among ``ids``; refuse if one is missing."""
    wanted = set(ids)
    rows = {row.pk: row for row in access.visible(actor, model, "change").filter(pk__in=wanted)}
    if set(rows) != wanted:
        raise PermissionDenied
    return rows


def people_cases(
    *,
    actor: User,
    rows: Rows,
    people: IdMap,
    case_ids: IdMap,
    candidates: dict[str, list[str]],
    decisions: dict[str, str],
    new_person: str,
    person_data: Any,
    case_data: Any,
    import_id: UUID,
) -> None:
    """Write a batch of people-and-cases rows: new people, then a case for each row."""
    if any(decisions.get(values["ma_nguoi"], new_person) != new_person for _n, values in rows):
        raise Unsettled  # a person already in the system: the actions fetch and check them
    built: dict[str, Person] = {}
    for _number, values in rows:
        key = values["ma_nguoi"]
        if key not in people and key not in built:
            data: PersonData = person_data(values)
            built[key] = person_new(actor=actor, data=data)
    for person in built.values():
        _clean(person)
    # People this import has just written under other numbers are other people.
    different = _namesakes(actor, built, candidates, f"import-{import_id}")
    _no_citizen_id_holders(actor, list(built.values()))
    _save(Person, list(built.values()), actor, f"import-{import_id}")
    ids = {key: person.pk for key, person in built.items()}
    # The batch's people written by earlier batches (not a pass over every person so far).
    ids.update({v["ma_nguoi"]: people[v["ma_nguoi"]] for _n, v in rows if v["ma_nguoi"] in people})
    reached: dict[UUID, Person] = _changeable(actor, Person, ids.values())
    organisations = {org.pk for org in access.case_organisations(actor)}
    assignments: set[tuple[Any, Any]] = set()
    cases: list[tuple[str, Case]] = []
    for _number, values in rows:
        person = reached[ids[values["ma_nguoi"]]]
        case_values: CaseData = case_data(values)
        if case_values.organisation.pk not in organisations:
            raise PermissionDenied
        pair = (case_values.organisation.pk, getattr(case_values.assigned_to, "pk", None))
        if pair not in assignments:
            case_assignee_check(actor=actor, data=case_values, person=person)
            assignments.add(pair)
        case = case_new(person=person, data=case_values)
        _clean(case)
        cases.append((values["ma_ho_so"], case))
    _save(Case, [case for _k, case in cases], actor, f"import-{import_id}")
    _constraints_now()
    audit.record(
        actor=actor,
        action=REGISTER_IMPORT_ROWS,
        object_type="registerimport",
        object_id=import_id,
        detail={
            "import": str(import_id),
            "sheet": "nguoi_ho_so",
            "rows": [rows[0][0], rows[-1][0]],
            "people": sorted({str(pk) for pk in ids.values()}),
            "people_created": sorted(str(p.pk) for p in built.values()),
            "cases_opened": [str(case.pk) for _k, case in cases],
            "different_from": {str(ids[k]): v for k, v in different.items()},
        },
    )
    people.update({key: person.pk for key, person in built.items()})
    case_ids.update({key: case.pk for key, case in cases})


def cases_to_add_to(actor: User, ids: set[UUID]) -> dict[UUID, Case]:
    """Return the cases among ``ids`` the importer may add records to (``record_add``'s
    ``can(actor, SERVICE_ADD, case)`` for each, in one query); refuse if one is not."""
    if not can(actor, SERVICE_ADD):
        raise PermissionDenied
    # The capability's object check is the case's scope (cases.access.in_scope): one query
    # for the batch instead of one per case.
    scope = capabilities.get(SERVICE_ADD).scope
    rows = access.visible(actor, Case, "change").filter(pk__in=ids)
    if scope != "change":  # pragma: no cover (SERVICE_ADD needs change)
        rows = rows.filter(pk__in=access.visible(actor, Case, scope).values("pk"))
    found = {case.pk: case for case in rows.select_related("person")}
    if set(found) != ids:
        raise PermissionDenied
    return found


def services(*, actor: User, rows: Rows, case_ids: IdMap, build: Any, import_id: UUID) -> None:
    """Write a batch of service rows (``record_add``'s checks, once per case)."""
    records: list[ServiceRecord] = [build(values, case_ids) for _n, values in rows]
    cases: dict[UUID, Case] = cases_to_add_to(actor, {r.case_id for r in records})
    recorder = account_of(actor)
    for record in records:
        case = cases[record.case_id]
        record.case = case
        record.recorded_by = recorder
        if record.responsible_id is None:
            # As record_add: the case's staff member must see a planned item come due.
            record.responsible_id = case.assigned_to_id or actor.pk
        _clean(record)
    _save(ServiceRecord, records, actor, f"import-{import_id}")
    _constraints_now()
    dues.cases_refresh(case_ids=cases)
    audit.record(
        actor=actor,
        action=REGISTER_IMPORT_ROWS,
        object_type="registerimport",
        object_id=import_id,
        detail={
            "import": str(import_id),
            "sheet": "dich_vu",
            "rows": [rows[0][0], rows[-1][0]],
            "people": sorted({str(case.person_id) for case in cases.values()}),
            "records": [str(record.pk) for record in records],
        },
    )
