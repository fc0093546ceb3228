"""Reads of plans and targets, scoped by the supervisor's unit.

A supervisor sees the plans of their scope unit's subtree and of the units above it (the
targets their units are judged against) and changes only those of the subtree: a district
supervisor reads the province's plan but cannot set its targets. Anything else, or a
malformed id, is recorded as a denial and answers 404.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.capabilities import can
from cases import access
from cases.models import AdministrativeUnit

from . import registry
from .capabilities import PLAN_CHANGE, PLAN_VIEW
from .models import Plan, Target
from .plans import ancestor_paths

Scope = Literal["view", "change"]


def _scope_unit(user: access.AnyUser, scope: Scope) -> AdministrativeUnit | None:
    profile = access.profile_of(user)
    if profile is None or not can(user, PLAN_CHANGE if scope == "change" else PLAN_VIEW):
        return None
    return profile.scope_unit


def plans_for(user: access.AnyUser, scope: Scope = "view") -> QuerySet[Plan]:
    """Return the plans the user may read (``view``) or change (``change``)."""
    unit = _scope_unit(user, scope)
    if unit is None:
        return Plan.objects.none()
    where = Q(unit__path__startswith=unit.path)
    if scope == "view":
        where |= Q(unit__path__in=ancestor_paths(unit.path))
    return Plan.objects.filter(where).select_related("unit")


def may_change(user: access.AnyUser, plan: Plan) -> bool:
    """Return whether the user may change the plan and its targets."""
    return plans_for(user, "change").filter(pk=plan.pk).exists()


def _deny(user: access.AnyUser, kind: str, object_id: Any, scope: Scope) -> None:
    access.deny(user, f"reports.plan_{scope}", object_type=kind, object_id=str(object_id))


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def plan_for_user(user: access.AnyUser, plan_id: Any, scope: Scope = "view") -> Plan:
    """Return the plan if the user holds ``scope`` on it, else record a denial and 404."""
    wanted = _uuid(plan_id)
    found = plans_for(user, scope).filter(pk=wanted).first() if wanted else None
    if found is None:
        _deny(user, "plan", plan_id, scope)
        raise Http404
    return found


def target_for_user(user: access.AnyUser, target_id: Any, scope: Scope = "change") -> Target:
    """Return the target if the user holds ``scope`` on its plan, else a denial and 404."""
    wanted = _uuid(target_id)
    plans = plans_for(user, scope)
    found = (
        Target.objects.filter(pk=wanted, plan__in=plans).select_related("plan", "unit").first()
        if wanted
        else None
    )
    if found is None:
        _deny(user, "target", target_id, scope)
        raise Http404
    return found


def plan_units(user: access.AnyUser) -> QuerySet[AdministrativeUnit]:
    """Return the units the user may issue a plan for: their scope unit and below."""
    unit = _scope_unit(user, "change")
    if unit is None:
        return AdministrativeUnit.objects.none()
    return AdministrativeUnit.objects.filter(path__startswith=unit.path, is_active=True)


def target_units(plan: Plan) -> QuerySet[AdministrativeUnit]:
    """Return the units a plan may set targets for: the plan's unit and below."""
    return AdministrativeUnit.objects.filter(path__startswith=plan.unit.path, is_active=True)


def plan_targets(plan: Plan) -> list[Target]:
    """Return the plan's targets, by indicator (registry order), year and unit."""
    order = {i.code: n for n, i in enumerate(registry.indicators())}
    rows = list(plan.targets.select_related("unit"))
    return sorted(
        rows, key=lambda t: (order.get(t.indicator, len(order)), t.indicator, t.year, t.unit.path)
    )


def indicator_name(code: str) -> str:
    """Return an indicator's name, or its code when no app registers it (any more)."""
    try:
        return str(registry.get(code).name)
    except KeyError:
        return code
