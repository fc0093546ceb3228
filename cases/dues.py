"""What is due: apps register their dated to-do records; cases keep their next due date.

A record type with a due date (a planned service, a follow-up, a referral awaiting an
answer) registers itself here once, in its app's ``ready()``. Two things read the registry:
the start page's list of what is due or overdue for a user, and ``case_refresh``, which
keeps ``Case.next_due_on`` (the earliest open due date of the case) so the case list's
"overdue" filter and its "next step" column are one indexed column, not a join per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models import Min, Q
from django.utils.functional import Promise

from . import access
from .models import Case


@dataclass(frozen=True)
class DueSource:
    model: type[models.Model]
    open: Q
    label: Callable[[Any], str | Promise]
    url: Callable[[Any], str]
    due_field: str = "due_on"
    responsible_field: str = "responsible"
    # What the label and the list read of each row, fetched with it (no query per row).
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class DueItem:
    due_on: datetime.date
    label: str | Promise
    url: str
    record: Any

    @property
    def case(self) -> Case:
        case: Case = self.record.case
        return case


_sources: list[DueSource] = []


def register(
    model: type[models.Model],
    *,
    open: Q,
    label: Callable[[Any], str | Promise],
    url: Callable[[Any], str],
    due_field: str = "due_on",
    responsible_field: str = "responsible",
    related: tuple[str, ...] = (),
) -> None:
    """Register a record type whose open rows are due on ``due_field`` (it must have ``case``)."""
    source = DueSource(model, open, label, url, due_field, responsible_field, related)
    if source not in _sources:
        _sources.append(source)


def responsible_for_overdue(today: datetime.date) -> set[int]:
    """Return the ids of the users responsible for at least one open item due before
    ``today``, whatever their scope (the daily reminder, ``overdue``, then counts only
    what each may see through ``due_for``)."""
    found: set[int] = set()
    for source in _sources:
        found.update(
            source.model._default_manager.filter(source.open)
            .filter(
                **{f"{source.due_field}__lt": today, f"{source.responsible_field}__isnull": False}
            )
            .values_list(source.responsible_field, flat=True)
            .distinct()
        )
    return found


def case_refresh(*, case_id: UUID) -> datetime.date | None:
    """Recompute and store the case's next due date from every registered record type."""
    dates = [
        source.model._default_manager.filter(source.open, case_id=case_id).aggregate(
            first=Min(source.due_field)
        )["first"]
        for source in _sources
    ]
    next_due = min((d for d in dates if d is not None), default=None)
    Case.objects.filter(pk=case_id).update(next_due_on=next_due)
    return next_due


def cases_refresh(*, case_ids: Iterable[UUID]) -> None:
    """``case_refresh`` for many cases at once: one query per record type, one update per
    case whose date changes (a register import writes thousands of records at a time)."""
    wanted = set(case_ids)
    if not wanted:
        return
    found: dict[UUID, datetime.date] = {}
    for source in _sources:
        rows = (
            source.model._default_manager.filter(source.open, case_id__in=wanted)
            .values("case_id")
            .annotate(first=Min(source.due_field))
        )
        for row in rows:
            if row["first"] is not None and (
                row["case_id"] not in found or row["first"] < found[row["case_id"]]
            ):
                found[row["case_id"]] = row["first"]
    stored = dict(Case.objects.filter(pk__in=wanted).values_list("pk", "next_due_on"))
    for case_id, current in stored.items():
        if found.get(case_id) != current:
            Case.objects.filter(pk=case_id).update(next_due_on=found.get(case_id))


# At most this many keys are read per step off a type's (responsible, due date) index.
CANDIDATES = 200


def _earliest_visible(
    viewer: access.AnyUser, source: DueSource, until: datetime.date, limit: int
) -> list[Any]:
    """Walk the type's open rows for the viewer in due order, keeping the visible ones.

    The keys come off the partial index in order, a few hundred at a time (a user may be
    responsible for thousands of items: sorting them all would grow with the table); only
    those candidates go through ``access.visible``.
    """
    due = source.due_field
    mine = (
        source.model._default_manager.filter(source.open)
        .filter(**{source.responsible_field: viewer, f"{due}__lte": until})
        .order_by(due, "pk")
    )
    found: list[Any] = []
    after: tuple[Any, Any] | None = None
    while len(found) < limit:
        step = mine
        if after is not None:
            step = mine.filter(
                Q(**{f"{due}__gt": after[0]}) | Q(**{due: after[0], "pk__gt": after[1]})
            )
        # As many keys as rows still wanted (all visible: one step), never more than the cap.
        batch = min(CANDIDATES, limit - len(found))
        keys = list(step.values_list(due, "pk")[:batch])
        if not keys:
            break
        rows = access.visible(viewer, source.model).filter(pk__in=[pk for _due, pk in keys])
        rows = rows.select_related("case__person", *source.related)
        found += sorted(rows, key=lambda row: (getattr(row, due), row.pk))
        if len(keys) < batch:
            break
        after = keys[-1]
    return found[:limit]


def due_for(*, viewer: access.AnyUser, until: datetime.date, limit: int = 50) -> list[DueItem]:
    """Return the open items the viewer is responsible for, due on or before ``until``.

    Each type is read along its partial index on (responsible, due date), and its rows go
    through ``access.visible`` (a responsibility never widens scope); the earliest ``limit``
    come back in order.
    """
    items: list[DueItem] = []
    for source in _sources:
        items += [
            DueItem(getattr(row, source.due_field), source.label(row), source.url(row), row)
            for row in _earliest_visible(viewer, source, until, limit)
        ]
    return sorted(items, key=lambda item: item.due_on)[:limit]
