"""The facility registry's pages under /facilities/: the facilities of the reader's area, a
facility's profile with its reviews and history, and the forms that add and change profiles
and record reviews (writes through ``facilities.actions``)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from core.edit_page import edit_submit

from . import actions, selectors
from .capabilities import FACILITY_CHANGE, FACILITY_VIEW, REVIEW_RECORD
from .forms import ProfileForm, ReviewForm
from .models import ConditionReview, FacilityProfile


def _require(request: HttpRequest, capability: str) -> None:
    if not can(request.user, capability):
        raise PermissionDenied


@require_http_methods(["GET"])
def facility_list(request: HttpRequest) -> HttpResponse:
    """List the facilities of the reader's area with their capacity, stay and latest review."""
    _require(request, FACILITY_VIEW)
    facilities = list(selectors.facilities_for(request.user))
    staying = selectors.occupancy_today(facilities)
    rows = [(f, staying.get(f.organisation_id, 0)) for f in facilities]
    context = {
        "rows": rows,
        "may_add": selectors.organisations_to_profile(request.user).exists(),
    }
    return render(request, "facilities/facility_list.html", context)


@require_http_methods(["GET"])
def facility_detail(request: HttpRequest, facility_id: UUID) -> HttpResponse:
    """Show a facility's profile, today's occupancy, its reviews and its history."""
    _require(request, FACILITY_VIEW)
    facility = selectors.facility_for_user(request.user, facility_id)
    context = {
        "facility": facility,
        "services": facility.services.order_by("order", "code"),
        "staying": selectors.occupancy_today([facility]).get(facility.organisation_id, 0),
        "reviews": selectors.facility_reviews(facility),
        "history": selectors.facility_history(facility),
        "may_change": can(request.user, FACILITY_CHANGE),
        "may_review": can(request.user, REVIEW_RECORD)
        and selectors.current_checklist() is not None,
    }
    return render(request, "facilities/facility_detail.html", context)


@require_http_methods(["GET", "POST"])
def facility_add(request: HttpRequest) -> HttpResponse:
    _require(request, FACILITY_CHANGE)
    form = ProfileForm(request.POST or None, user=request.user)
    return _profile_form(request, form, facility=None)


@require_http_methods(["GET", "POST"])
def facility_edit(request: HttpRequest, facility_id: UUID) -> HttpResponse:
    _require(request, FACILITY_CHANGE)
    facility = selectors.facility_for_user(request.user, facility_id, "change")
    form = ProfileForm(request.POST or None, instance=facility, user=request.user)
    return _profile_form(request, form, facility=facility)


def _profile_form(
    request: HttpRequest, form: ProfileForm, *, facility: FacilityProfile | None
) -> HttpResponse:
    """Save the profile form when valid (to the facility's page), else show it with errors."""
    saved: list[FacilityProfile] = []

    def save(form: ProfileForm) -> None:
        saved.append(
            actions.profile_save(
                actor=request.user,
                profile=form.instance,
                services=form.cleaned_data.get("services"),
                if_version=form.opened_version(form.instance),
            )
        )

    outcome = edit_submit(
        request,
        form,
        save=save,
        rebuild=lambda data, current: ProfileForm(data, instance=current, user=request.user),
        saved_message=_("The facility profile has been saved."),
    )
    if outcome.saved:
        return redirect("facilities:facility_detail", facility_id=saved[0].pk)
    context = {"form": outcome.form, "facility": facility, "conflict": outcome.conflict}
    return render(request, "facilities/facility_form.html", context)


@require_http_methods(["GET", "POST"])
def review_add(request: HttpRequest, facility_id: UUID) -> HttpResponse:
    """Record a review of the facility against the current checklist."""
    _require(request, REVIEW_RECORD)
    facility = selectors.facility_for_user(request.user, facility_id, "review")
    checklist = selectors.current_checklist()
    if checklist is None:
        raise Http404
    form = ReviewForm(
        request.POST or None, instance=ConditionReview(facility=facility), checklist=checklist
    )
    saved: list[ConditionReview] = []

    def save(form: ReviewForm) -> None:
        review = actions.review_record(
            actor=request.user, review=form.instance, answers=form.answers()
        )
        saved.append(review)

    outcome = edit_submit(
        request,
        form,
        save=save,
        rebuild=lambda data, current: ReviewForm(data, instance=current, checklist=checklist),
        saved_message=_("The review has been recorded."),
    )
    if outcome.saved:
        return redirect("facilities:review_detail", review_id=saved[0].pk)
    context = {"form": outcome.form, "facility": facility, "checklist": checklist}
    return render(request, "facilities/review_form.html", context)


@require_http_methods(["GET"])
def review_detail(request: HttpRequest, review_id: UUID) -> HttpResponse:
    """Show a review with its answer to every condition."""
    _require(request, FACILITY_VIEW)
    review = selectors.review_for_user(request.user, review_id)
    context = {
        "review": review,
        "facility": review.facility,
        "answers": selectors.review_answers(review),
    }
    return render(request, "facilities/review_detail.html", context)
