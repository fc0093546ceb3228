"""Writes of plans and targets: checked against the writer's scope, saved through the shared
save step (version check, history user, event) in one transaction."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AnyUser
from audit import actions as audit
from audit.editing import save_edit
from core.editing import OVERRIDE, EditConflict, IfVersion

from . import registry, selectors
from .events import PlanAction
from .models import Plan, Target, TargetKind


def _amount(value: Any) -> str:
    """Return a value as stored (two decimals), for the event."""
    try:
        return str(Decimal(value).quantize(Decimal("0.01")))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _require_unit(actor: AnyUser, plan: Plan) -> None:
    """Refuse a plan for a unit outside the writer's scope (a forged unit id)."""
    if not selectors.plan_units(actor).filter(pk=plan.unit_id).exists():
        raise ValidationError({"unit": _("Choose a unit within your area.")})


def plan_save(*, actor: AnyUser, plan: Plan, if_version: IfVersion = OVERRIDE) -> Plan:
    """Add a plan, or change one the actor may change (refused with 404 otherwise)."""
    adding = plan._state.adding
    if not adding:
        selectors.plan_for_user(actor, plan.pk, "change")
    return save_edit(
        actor=actor,
        instance=plan,
        action=PlanAction.PLAN_ADDED if adding else PlanAction.PLAN_CHANGED,
        if_version=if_version,
        checks=[lambda p: _require_unit(actor, p)],
        detail={"number": plan.number, "unit": plan.unit_id},
    )


def _check_indicator(target: Target) -> None:
    """Refuse a code no app registers, and a share target of a count indicator."""
    try:
        indicator = registry.get(target.indicator)
    except KeyError:
        raise ValidationError({"indicator": _("Choose an indicator from the list.")}) from None
    if target.breakdown and target.breakdown not in indicator.breakdowns:
        raise ValidationError(
            {"key": _("This indicator has no such breakdown: choose one it offers, or none.")}
        )
    if indicator.kind != "share" and target.kind == TargetKind.SHARE:
        raise ValidationError(
            {"kind": _("This indicator is a number of people: its target is a number too.")}
        )


def target_save(*, actor: AnyUser, target: Target, if_version: IfVersion = OVERRIDE) -> Target:
    """Add or change a target of a plan the actor may change (refused with 404 otherwise)."""
    plan = selectors.plan_for_user(actor, target.plan_id, "change")
    if not target._state.adding:
        # The row's own plan, not one a forged form could name.
        selectors.target_for_user(actor, target.pk, "change")
    target.plan = plan
    adding = target._state.adding
    return save_edit(
        actor=actor,
        instance=target,
        action=PlanAction.TARGET_ADDED if adding else PlanAction.TARGET_CHANGED,
        if_version=if_version,
        checks=[_check_indicator],
        detail={
            "plan": str(plan.pk),
            "indicator": target.indicator,
            "unit": target.unit_id,
            "year": target.year,
            "value": _amount(target.value),
            "comparison": target.comparison,
            "breakdown": target.breakdown,
            "key": target.key,
        },
    )


def target_remove(*, actor: AnyUser, target: Target, if_version: IfVersion) -> None:
    """Remove a target (its history keeps it), refusing a stale version like an edit."""
    selectors.target_for_user(actor, target.pk, "change")
    with transaction.atomic():
        current = Target.objects.select_for_update().filter(pk=target.pk).first()
        if current is None:
            raise ValidationError(_("This record no longer exists."))
        if isinstance(if_version, int) and current.version != if_version:
            raise EditConflict(current, if_version)
        audit.record(
            actor=actor,
            action=PlanAction.TARGET_REMOVED,
            obj=current,
            detail={
                "plan": str(current.plan_id),
                "indicator": current.indicator,
                "unit": current.unit_id,
                "year": current.year,
                "value": _amount(current.value),
                "breakdown": current.breakdown,
                "key": current.key,
            },
        )
        current._history_user = actor  # type: ignore[attr-defined]
        current.delete()
