"""The shape every service record shares: it hangs off a case, keeps history, has a version."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case
from core.editing import Versioned


class CaseRecord(Versioned):
    """Abstract base: a dated record about one case, scoped and audited through that case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="%(class)s_set", verbose_name=_("case")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[RequestIdHistory], inherit=True)

    # The label a timeline entry shows for this kind of record (set by each model).
    timeline_label: ClassVar[Any] = ""

    class Meta:
        abstract = True

    case_id: uuid.UUID
    recorded_by_id: int

    @property
    def when(self) -> Any:
        """Return the date the timeline places this record on (each kind says which)."""
        raise NotImplementedError

    @property
    def short_id(self) -> str:
        """Return a pseudonymous id fit for screens and logs."""
        return self.id.hex[:8].upper()


def overlapping[M: models.Model](
    rows: QuerySet[M], *, start: str, end: str, since: Any, until: Any
) -> QuerySet[M]:
    """Return the rows whose period [start, end) overlaps [since, until); no end runs on.

    Periods are half-open, like the exclusion constraints: one may end the day the next begins.
    """
    rows = rows.filter(Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": since}))
    return rows if until is None else rows.filter(**{f"{start}__lt": until})
