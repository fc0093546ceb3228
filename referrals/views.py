"""Pages of referrals: make one from a case, follow it, act on it, the queues and figures.

Every referral is reached through ``referrals.selectors`` (``cases.access`` underneath);
every change goes through ``referrals.actions``, which records it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import can
from cases import access
from cases import capabilities as caps
from cases.choices import CaseStatus
from cases.models import Case

from . import actions, figures, selectors, workflow
from .forms import (
    ActionForm,
    PeriodForm,
    ReferralEditForm,
    ReferralForm,
    StaffAddForm,
    WithdrawForm,
)
from .models import Referral


@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_for_user(request.user, Case, case_id, "change")
    if case.status != CaseStatus.OPEN or not can(request.user, caps.CASE_CHANGE, case):
        raise PermissionDenied
    form = ReferralForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = actions.referral_create(
                actor=request.user,
                case_id=case.pk,
                to_organisation=data["to_organisation"],
                service_type=data["service_type"],
                parts=list(data["parts"]),
                reason=data["reason"],
                consent=_consent_of(case, form.consent_id()),
                new_consent=form.new_consent(),
                urgent=data["urgent"],
                urgent_reason=data["urgent_reason"],
            )
        except ValidationError as error:
            add_errors(form, _consent_errors(error))
        else:
            messages.success(request, _("The referral has been saved as a draft."))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    return render(request, "referrals/referral_form.html", {"form": form, "case": case})


# The consent action names its fields as the model does; the form prefixes them.
CONSENT_FIELDS = {"method": "consent_method", "given_on": "consent_given_on"}
CONSENT_FIELDS["given_by"] = "consent_given_by"


def _consent_errors(error: ValidationError) -> ValidationError:
    """Name the new consent's errors as the form's fields (``given_on`` → ``consent_given_on``)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {CONSENT_FIELDS.get(name, name): errors for name, errors in error.error_dict.items()}
    )


def _consent_of(case: Case, consent_id: str | None) -> Any:
    """Return the consent row for an id chosen in the form (one of the case's), or None."""
    if consent_id is None:
        return None
    return selectors.consents_in_force(case=case).filter(pk=consent_id).first()


def add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's errors under the form's fields, the rest at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_GET
def referral_detail(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, referral_id)
    return _detail(request, referral, None)


def _detail(request: HttpRequest, referral: Referral, form: ActionForm | None) -> HttpResponse:
    transitions = workflow.allowed_actions(request.user, referral)
    context = {
        "referral": referral,
        "row": selectors.row_of(referral, selectors.today()),
        "steps": selectors.steps_of(referral),
        "parts": selectors.shared_parts(referral),
        "transitions": transitions,
        "sees_person": selectors.may_see_person(request.user, referral),
        "may_edit": selectors.may_edit(request.user, referral),
        "may_add_staff": workflow.may_add_staff(request.user, referral),
        "may_withdraw": selectors.may_withdraw(request.user, referral.consent),
        "holder_note": _holder_note(request.user, referral, transitions),
        "held_elsewhere": workflow.held_elsewhere(referral),
        "holder_agreed": workflow.held_elsewhere(referral) and workflow.holder_agreed(referral),
        "form": form or ActionForm(transitions=transitions),
        "chosen": form.data.get("action") if form is not None else None,
    }
    return render(request, "referrals/referral_detail.html", context)


def _holder_note(user: access.AnyUser, referral: Referral, transitions: list[Any]) -> bool:
    """Return whether approving here needs the supervisor's note (held elsewhere)."""
    return any(t.action == "approve" for t in transitions) and workflow.needs_holder_note(referral)


@require_POST
def referral_act(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, referral_id)
    transitions = workflow.allowed_actions(request.user, referral)
    form = ActionForm(request.POST, transitions=transitions)
    if form.is_valid():
        try:
            done = actions.referral_act(
                actor=request.user,
                referral_id=referral.pk,
                action=form.cleaned_data["action"],
                comment=form.cleaned_data["comment"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Done: %(state)s.") % {"state": done.get_state_display()})
            return redirect("referrals:referral_detail", referral_id=done.pk)
    return _detail(request, referral, form)


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    tabs = selectors.tabs_for(request.user)
    if not tabs:
        raise PermissionDenied
    chosen = selectors.TABS.get(request.GET.get("tab", ""))
    tab = chosen if chosen is not None and chosen.allowed(request.user) else tabs[0]
    page = selectors.queue_page(viewer=request.user, tab=tab, after=request.GET.get("after"))
    context = {"tabs": tabs, "tab": tab, "page": page}
    return render(request, "referrals/queue.html", context)


@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    if not figures.may_see(request.user):
        raise PermissionDenied
    form = PeriodForm(request.GET or None, initial=PeriodForm.default_initial())
    table = None
    if not form.is_bound:
        period = PeriodForm.default_initial()
        table = figures.referral_figures(viewer=request.user, **period)
    elif form.is_valid():
        table = figures.referral_figures(
            viewer=request.user, since=form.cleaned_data["since"], until=form.cleaned_data["until"]
        )
    return render(request, "referrals/figures.html", {"form": form, "table": table})


@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_to_edit(request.user, referral_id)
    form = ReferralEditForm(request.POST or None, case=referral.case, referral=referral)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.referral_update(
                actor=request.user,
                referral_id=referral.pk,
                version=form.opened_version(referral),
                new_consent=form.new_consent(),
                to_organisation=data["to_organisation"],
                service_type=data["service_type"],
                parts=list(data["parts"]),
                reason=data["reason"],
                consent=_consent_of(referral.case, form.consent_id()),
                urgent=data["urgent"],
                urgent_reason=data["urgent_reason"],
            )
        except ValidationError as error:
            add_errors(form, _consent_errors(error))
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    context = {"form": form, "case": referral.case, "referral": referral}
    return render(request, "referrals/referral_form.html", context)


@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    consent = selectors.get_consent_to_withdraw(request.user, consent_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.consent_withdraw(
                actor=request.user, consent_id=consent.pk, on=form.cleaned_data["withdrawn_on"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The withdrawal of consent has been recorded."))
            return redirect("cases:person_detail", person_id=consent.case.person_id)
    context = {
        "form": form,
        "consent": consent,
        "referrals": selectors.resting_on(request.user, consent),
    }
    return render(request, "referrals/consent_withdraw.html", context)


@require_http_methods(["GET", "POST"])
def referral_staff(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_to_share(request.user, referral_id)
    form = StaffAddForm(request.POST or None, colleagues=selectors.colleagues_to_add(referral))
    if request.method == "POST" and form.is_valid():
        colleague = form.cleaned_data["user"]
        try:
            actions.referral_staff_add(actor=request.user, referral_id=referral.pk, user=colleague)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s can now see the shared parts of the case.")
                % {
                    "name": colleague.display_name,
                },
            )
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    context = {"form": form, "referral": referral, "staff": selectors.referral_staff(referral)}
    return render(request, "referrals/referral_staff.html", context)
