"""What is due: apps register their dated to-do records; cases keep their next due date.

A record type with a due date (a planned service, a follow-up, a referral awaiting an
answer) registers itself here once, in its app's ``ready()``. Two things read the registry:
the start page's list of what is due or overdue for a user, and ``case_refresh``, which
keeps ``Case.next_due_on`` (the earliest open due date of the case) so the case list's
"overdue" filter and its "next step" column are one indexed column, not a join per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
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


def due_for(*, viewer: access.AnyUser, until: datetime.date, limit: int = 50) -> list[DueItem]:
    """Return the open items the viewer is responsible for, due on or before ``until``.

    Each type is read through ``access.visible`` (a responsibility never widens scope) along
    its partial index on (responsible, due date); the earliest ``limit`` come back in order.
    """
    items: list[DueItem] = []
    for source in _sources:
        rows = (
            access.visible(viewer, source.model)
            .filter(source.open)
            .filter(**{source.responsible_field: viewer, f"{source.due_field}__lte": until})
            .select_related("case__person", *source.related)
            .order_by(source.due_field)[:limit]
        )
        items += [
            DueItem(getattr(row, source.due_field), source.label(row), source.url(row), row)
            for row in rows
        ]
    return sorted(items, key=lambda item: item.due_on)[:limit]
