"""The pages of the case plan and of closing a case (D45)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import can
from core.edit_page import edit_submit

from . import access, closure, plans
from .capabilities import CLOSURE_DECIDE
from .models import Case, CaseClosure, PlanGoal
from .plan_forms import ClosureForm, DecisionForm, GoalForm, GoalReviewForm, ReopenForm


def case_page_context(viewer: access.AnyUser, case: Case) -> dict[str, object]:
    """What the case page shows of the plan and of closing (whole-case viewers only)."""
    plan = plans.plan_of(viewer=viewer, case=case)
    if plan is None:
        return {}
    may_write = access.can(viewer, closure.CLOSURES.add_verb, case)
    pending = closure.pending_of(case)
    return {
        "plan": plan,
        "show_plan": True,
        "closures": closure.history_of(viewer=viewer, case=case)[:5],
        "pending_closure": pending,
        "may_close": may_write and case.status == "open" and pending is None,
        "may_reopen": may_write and case.status == "closed",
    }


@require_http_methods(["GET", "POST"])
def goal_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = plans.PLAN.case_to_add_to(request.user, case_id)
    form = GoalForm(
        request.POST or None, instance=PlanGoal(case=case), case=case, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            plans.plangoal_add(actor=request.user, goal=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The goal has been added to the plan."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/goal_form.html", {"form": form, "case": case})


@require_GET
def goal_detail(request: HttpRequest, goal_id: UUID) -> HttpResponse:
    goal = access.get_for_user(request.user, PlanGoal, goal_id)
    context = {
        "goal": goal,
        "case": goal.case,
        "may_change": access.can(request.user, plans.PLAN.change_verb, goal),
    }
    return render(request, "cases/goal_detail.html", context)


@require_http_methods(["GET", "POST"])
def goal_review(request: HttpRequest, goal_id: UUID) -> HttpResponse:
    goal = access.get_for_user(request.user, PlanGoal, goal_id, "change")
    outcome = edit_submit(
        request,
        GoalReviewForm(request.POST or None, instance=goal),
        save=lambda form: plans.plangoal_change(
            actor=request.user, goal=form.instance, if_version=form.opened_version(goal)
        ),
        rebuild=lambda data, current: GoalReviewForm(data, instance=current),
        saved_message=_("The review has been saved."),
    )
    if outcome.saved:
        return redirect("cases:goal_detail", goal_id=goal.pk)
    context = {"form": outcome.form, "conflict": outcome.conflict, "case": goal.case, "goal": goal}
    return render(request, "cases/goal_form.html", context)


@require_http_methods(["GET", "POST"])
def case_close(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "change")
    form = ClosureForm(request.POST or None, instance=CaseClosure(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            row = closure.case_close(actor=request.user, case=case, closure=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            waits = row.status == "pending"
            messages.success(
                request,
                _("The request to close the case waits for a supervisor's approval.")
                if waits
                else _("The case has been closed."),
            )
            return redirect("cases:case_detail", case_id=case.pk)
    context = {"form": form, "case": case, "needs_approval": closure.needs_approval(case)}
    return render(request, "cases/closure_form.html", context)


@require_http_methods(["GET", "POST"])
def case_reopen(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "change")
    form = ReopenForm(request.POST or None, instance=CaseClosure(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            closure.case_reopen(actor=request.user, case=case, closure=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case has been re-opened."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/closure_form.html", {"form": form, "case": case, "reopen": True})


@require_GET
def closure_queue(request: HttpRequest) -> HttpResponse:
    """A supervisor's list of closing requests waiting for their decision."""
    if not can(request.user, CLOSURE_DECIDE):
        access.deny(request.user, CLOSURE_DECIDE, object_type="caseclosure")
        raise PermissionDenied
    rows = access.closures_to_decide(request.user).select_related(
        "case__organisation", "requested_by"
    )
    page = Paginator(rows.order_by("requested_at"), 25).get_page(request.GET.get("page"))
    return render(request, "cases/closure_queue.html", {"page": page})


@require_GET
def closure_detail(request: HttpRequest, closure_id: UUID) -> HttpResponse:
    row = access.get_for_user(request.user, CaseClosure, closure_id)
    may_decide = access.closures_to_decide(request.user).filter(pk=row.pk).exists()
    context = {"closure": row, "case": row.case, "may_decide": may_decide, "form": DecisionForm()}
    return render(request, "cases/closure_detail.html", context)


@require_POST
def closure_decide(request: HttpRequest, closure_id: UUID) -> HttpResponse:
    row = closure.closure_to_decide(request.user, closure_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            closure.closure_decide(
                actor=request.user,
                closure=row,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The case has been closed.") if approve else _("The closing has been refused."),
            )
            return redirect("cases:closure_queue")
    context = {"closure": row, "case": row.case, "may_decide": True, "form": form}
    return render(request, "cases/closure_detail.html", context)
