"""Referral figures: sent, accepted, completed, median days to acceptance, share completed,
by service type and by receiving organisation, for a period.

Computed by the database (one grouped query per cut). The referrals counted are those of
cases ``cases.access.figures_cases`` lets the user count (people living in their unit): a
one-by-one grant never widens a figure. Rows carry service and organisation names only.

The median is ``percentile_cont(0.5)`` on PostgreSQL. SQLite (the local demo only) has no
ordered-set aggregate: there the medians are taken in Python from the accepted referrals'
day counts, one query per cut, which is fine at a demo's size and never runs in production.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Q,
    QuerySet,
    When,
)

from accounts.capabilities import can, has_role
from cases import access
from cases import capabilities as caps
from cases.choices import Role
from core.dbfunctions import DaysBetween, Median

from .models import Referral, State


def may_see(user: access.AnyUser) -> bool:
    """Return whether the user sees referral figures (supervisors)."""
    return has_role(user, Role.SUPERVISOR) and can(user, caps.FIGURES_VIEW)


# Accepted at some point: an answer day and a state that only acceptance leads to (a
# completed referral was accepted first; a revoked one only if it was answered and not declined).
ACCEPTED = Q(answered_on__isnull=False) & ~Q(state=State.DECLINED)
COMPLETED = Q(state=State.COMPLETED)


@dataclass(frozen=True)
class FigureRow:
    label: str
    sent: int
    accepted: int
    completed: int
    median_days: float | None

    @property
    def share_completed(self) -> float | None:
        return None if not self.sent else round(100 * self.completed / self.sent, 1)


@dataclass(frozen=True)
class Figures:
    since: datetime.date
    until: datetime.date
    total: FigureRow
    by_service: list[FigureRow]
    by_organisation: list[FigureRow]


def counted(
    viewer: access.AnyUser, since: datetime.date, until: datetime.date
) -> QuerySet[Referral]:
    """Return the referrals sent in the period that the viewer's figures may count."""
    cases = access.figures_cases(viewer).values("pk")
    return Referral.objects.filter(case_id__in=cases, sent_on__gte=since, sent_on__lte=until)


def _aggregates() -> dict[str, Any]:
    found: dict[str, Any] = {
        "sent": Count("pk"),
        "accepted": Count("pk", filter=ACCEPTED),
        "completed": Count("pk", filter=COMPLETED),
    }
    if connection.vendor == "postgresql":
        # percentile_cont skips NULLs: the referrals never accepted are left out.
        days = DaysBetween(F("answered_on"), F("sent_on"))
        found["median_days"] = Median(Case(When(ACCEPTED, then=days), default=None))
    return found


def _medians(rows: QuerySet[Referral], key: str | None) -> dict[Any, float | None]:
    """Return the median days to acceptance per group, in Python (the SQLite fallback)."""
    days: dict[Any, list[int]] = {}
    accepted = rows.filter(ACCEPTED).annotate(days=DaysBetween(F("answered_on"), F("sent_on")))
    for group, value in accepted.values_list(key or "state", "days"):
        days.setdefault(group if key else None, []).append(value)
    return {group: float(statistics.median(values)) for group, values in days.items()}


def _cut(rows: QuerySet[Referral], key: str | None, labels: dict[Any, str]) -> list[FigureRow]:
    if key:
        found = list(rows.values(key).order_by(key).annotate(**_aggregates()))
    else:
        found = [rows.aggregate(**_aggregates())]  # noqa: SIM108  (two shapes, one list)
    medians = _medians(rows, key) if connection.vendor != "postgresql" else {}
    return [
        FigureRow(
            label=labels.get(row.get(key), "") if key else "",
            sent=row["sent"],
            accepted=row["accepted"],
            completed=row["completed"],
            median_days=row.get("median_days", medians.get(row.get(key) if key else None)),
        )
        for row in found
    ]


def referral_figures(
    *, viewer: access.AnyUser, since: datetime.date, until: datetime.date
) -> Figures:
    """Return the referral figures of the period for the viewer's unit."""
    from cases.models import Organisation
    from services.models import ServiceType

    rows = counted(viewer, since, until)
    services = {s.pk: s.name for s in ServiceType.objects.all()}
    organisations = dict(Organisation.objects.values_list("pk", "name"))
    return Figures(
        since=since,
        until=until,
        total=_cut(rows, None, {})[0],
        by_service=_cut(rows, "service_type_id", services),
        by_organisation=_cut(rows, "to_organisation_id", organisations),
    )
