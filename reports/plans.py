"""Plans and their targets: what a unit is judged against.

``target_for`` is what the dashboard and the report ask; its full body comes with the plan
models (a plan per issuer and unit, targets per indicator, unit and year).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cases.models import AdministrativeUnit

    from .registry import Period


@dataclass(frozen=True)
class TargetValue:
    """A target: a share (0–100, percent) or a count, with the plan that sets it."""

    value: Decimal
    kind: Literal["share", "count"]
    # "at_least" (≥), "more_than" (>) or "at_most" (≤, e.g. relapse).
    comparison: Literal["at_least", "more_than", "at_most"]
    plan_number: str


def target_for(unit: AdministrativeUnit, code: str, period: Period) -> TargetValue | None:
    """Return the target of indicator ``code`` for ``unit`` in the year ``period`` ends in.

    A unit without a target of its own takes its nearest ancestor's. None when no plan sets
    one.
    """
    return None
