"""Plans and their targets: what a unit is judged against.

``target_for`` is what the dashboard and the report ask: the target of one indicator for a
unit in the year a period ends in, the unit's own or else its nearest ancestor's; with a
breakdown key (``breakdown="sector", key="Xã hội"``), the target of that key alone.
``key_targets`` reads every key target of an indicator at once (the dashboard's rows).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from cases.models import AdministrativeUnit

    from .models import Target
    from .registry import Period


@dataclass(frozen=True)
class TargetValue:
    """A target: a share (0–100, percent) or a count, with the plan that sets it."""

    value: Decimal
    kind: Literal["share", "count"]
    # "at_least" (≥), "more_than" (>) or "at_most" (≤, e.g. relapse).
    comparison: Literal["at_least", "more_than", "at_most"]
    plan_number: str
    # The unit whose target it is (the unit asked about, or the ancestor it comes from).
    unit_id: int | None = None
    year: int | None = None
    # The breakdown key the target is set for ("sector", "Xã hội"); empty: the total.
    breakdown: str = ""
    key: str = ""

    def met(self, value: float | Decimal | None) -> bool | None:
        """Return whether a figure (a share in percent, or a count) meets the target."""
        if value is None:
            return None
        figure = Decimal(str(value))
        if self.comparison == "at_least":
            return figure >= self.value
        if self.comparison == "more_than":
            return figure > self.value
        return figure <= self.value


def ancestor_paths(path: str) -> list[str]:
    """Return the paths of a unit and every unit above it ("/98/981/" → "/98/", "/98/981/")."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]


def _value(found: Target, year: int) -> TargetValue:
    return TargetValue(
        value=found.value,
        kind=cast(Literal["share", "count"], found.kind),
        comparison=cast(Literal["at_least", "more_than", "at_most"], found.comparison),
        plan_number=found.plan.number,
        unit_id=found.unit_id,
        year=year,
        breakdown=found.breakdown,
        key=found.key,
    )


def _candidates(unit: AdministrativeUnit, code: str, year: int) -> QuerySet[Target]:
    """The targets of ``code`` on the unit's path in ``year``, the one that wins first."""
    from django.db.models import F

    from .models import Target

    return (
        Target.objects.filter(indicator=code, year=year, unit__path__in=ancestor_paths(unit.path))
        .select_related("plan", "unit")
        .order_by("-unit__path", F("plan__issued_on").desc(nulls_last=True), "-plan__created_at")
    )


def target_for(
    unit: AdministrativeUnit, code: str, period: Period, *, breakdown: str = "", key: str = ""
) -> TargetValue | None:
    """Return the target of indicator ``code`` for ``unit`` in the year ``period`` ends in.

    A unit without a target of its own takes its nearest ancestor's. None when no plan sets
    one. Two plans setting the same unit's target for the same year: the one issued last.
    Without ``breakdown`` and ``key``, the target of the indicator's total (a key's target
    is never taken for the total); with them, the target of that key alone.
    """
    year = period.end.year
    found = _candidates(unit, code, year).filter(breakdown=breakdown, key=key).first()
    return None if found is None else _value(found, year)


def key_targets(
    unit: AdministrativeUnit, period: Period, codes: Collection[str] | None = None
) -> dict[str, dict[tuple[str, str], TargetValue]]:
    """Return every key target for ``unit``: indicator code → (breakdown, key) → target.

    Each key follows ``target_for``'s rules (the unit's own, else the nearest ancestor's,
    else the plan issued last); one query for all the indicators (or those of ``codes``).
    """
    from django.db.models import F

    from .models import Target

    year = period.end.year
    query = Target.objects.filter(year=year, unit__path__in=ancestor_paths(unit.path))
    if codes is not None:
        query = query.filter(indicator__in=list(codes))
    ordered = (
        query.exclude(key="")
        .select_related("plan", "unit")
        .order_by("-unit__path", F("plan__issued_on").desc(nulls_last=True), "-plan__created_at")
    )
    found: dict[str, dict[tuple[str, str], TargetValue]] = {}
    for target in ordered:
        found.setdefault(target.indicator, {}).setdefault(
            (target.breakdown, target.key), _value(target, year)
        )
    return found
