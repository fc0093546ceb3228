"""The plan pages under /figures/plans/: plans in the supervisor's area, a plan with its
targets, and the forms that add and change them (writes through ``reports.actions``)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from core.edit_page import edit_submit

from . import actions, selectors
from .capabilities import PLAN_CHANGE, PLAN_VIEW
from .dashboard import key_label
from .forms import PlanForm, TargetForm
from .models import Plan, Target


def _require(request: HttpRequest, capability: str) -> None:
    if not can(request.user, capability):
        raise PermissionDenied


@require_http_methods(["GET"])
def plan_list(request: HttpRequest) -> HttpResponse:
    """List the plans of the supervisor's area and of the units above it."""
    _require(request, PLAN_VIEW)
    plans = selectors.plans_for(request.user).order_by("unit__path", "-first_year", "number")
    changeable = set(selectors.plans_for(request.user, "change").values_list("pk", flat=True))
    context = {
        "plans": plans,
        "changeable": changeable,
        "may_add": selectors.plan_units(request.user).exists(),
    }
    return render(request, "reports/plan_list.html", context)


@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """Show a plan and its targets."""
    _require(request, PLAN_VIEW)
    plan = selectors.plan_for_user(request.user, plan_id)
    targets = [
        (t, selectors.indicator_name(t.indicator), key_label(t.breakdown, t.key) if t.key else "")
        for t in selectors.plan_targets(plan)
    ]
    context = {
        "plan": plan,
        "targets": targets,
        "may_change": selectors.may_change(request.user, plan),
    }
    return render(request, "reports/plan_detail.html", context)


@require_http_methods(["GET", "POST"])
def plan_add(request: HttpRequest) -> HttpResponse:
    _require(request, PLAN_CHANGE)
    return _plan_form(request, PlanForm(request.POST or None, user=request.user), plan=None)


@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    _require(request, PLAN_CHANGE)
    plan = selectors.plan_for_user(request.user, plan_id, "change")
    form = PlanForm(request.POST or None, instance=plan, user=request.user)
    return _plan_form(request, form, plan=plan)


def _plan_form(request: HttpRequest, form: PlanForm, *, plan: Plan | None) -> HttpResponse:
    """Save the plan form when valid (to the plan's page), else show it with its errors."""
    saved: list[Plan] = []

    def save(form: PlanForm) -> None:
        if_version = form.opened_version(form.instance)
        saved.append(
            actions.plan_save(actor=request.user, plan=form.instance, if_version=if_version)
        )

    outcome = edit_submit(
        request,
        form,
        save=save,
        rebuild=lambda data, current: PlanForm(data, instance=current, user=request.user),
        saved_message=_("The plan has been saved."),
    )
    if outcome.saved:
        return redirect("reports:plan_detail", plan_id=saved[0].pk)
    context = {"form": outcome.form, "plan": plan, "conflict": outcome.conflict}
    return render(request, "reports/plan_form.html", context)


@require_http_methods(["GET", "POST"])
def target_add(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    _require(request, PLAN_CHANGE)
    plan = selectors.plan_for_user(request.user, plan_id, "change")
    form = TargetForm(request.POST or None, plan=plan)
    return _target_form(request, form, plan=plan, target=None)


@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, target_id: UUID) -> HttpResponse:
    _require(request, PLAN_CHANGE)
    target = selectors.target_for_user(request.user, target_id, "change")
    form = TargetForm(request.POST or None, instance=target, plan=target.plan)
    return _target_form(request, form, plan=target.plan, target=target)


def _target_form(
    request: HttpRequest, form: TargetForm, *, plan: Plan, target: Target | None
) -> HttpResponse:
    """Save the target form when valid (back to the plan), else show it with its errors."""

    def save(form: TargetForm) -> None:
        if_version = form.opened_version(form.instance)
        actions.target_save(actor=request.user, target=form.instance, if_version=if_version)

    outcome = edit_submit(
        request,
        form,
        save=save,
        rebuild=lambda data, current: TargetForm(data, instance=current, plan=plan),
        saved_message=_("The target has been saved."),
    )
    if outcome.saved:
        return redirect("reports:plan_detail", plan_id=plan.pk)
    context = {"form": outcome.form, "plan": plan, "target": target, "conflict": outcome.conflict}
    return render(request, "reports/target_form.html", context)


@require_http_methods(["GET", "POST"])
def target_remove(request: HttpRequest, target_id: UUID) -> HttpResponse:
    """Ask, then remove a target (its history keeps it)."""
    _require(request, PLAN_CHANGE)
    target = selectors.target_for_user(request.user, target_id, "change")
    error = ""
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        try:
            actions.target_remove(actor=request.user, target=target, if_version=version)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, _("The target has been removed."))
            return redirect("reports:plan_detail", plan_id=target.plan_id)
    context = {
        "target": target,
        "plan": target.plan,
        "error": error,
        "indicator_name": selectors.indicator_name(target.indicator),
        "key_label": key_label(target.breakdown, target.key) if target.key else "",
    }
    return render(request, "reports/target_remove.html", context)
