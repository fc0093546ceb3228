"""Pages of a methadone clinic: the day's list, a dose, a correction, a prescription, an episode.

Every object is fetched through cases.access (via the selectors), so another clinic's patient
is a 404 with a denial event; the writes are the actions'.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import can

from . import actions, selectors
from .capabilities import DOSE_CORRECT, PRESCRIPTION_RECORD
from .forms import CorrectionForm, DoseForm, DoseOverrideForm, PrescriptionForm
from .models import DoseKind

SEARCH_MAX = 100


def _screen(request: HttpRequest, query: str) -> selectors.TodayScreen:
    if not selectors.works_at_clinic(request.user):
        raise PermissionDenied
    screen = selectors.today_screen(
        viewer=request.user, day=timezone.localdate(), query=query[:SEARCH_MAX]
    )
    if screen is None:
        raise PermissionDenied
    return screen


@require_http_methods(["GET", "POST"])
def today(request: HttpRequest) -> HttpResponse:
    """The clinic's list of the day: every patient in treatment, their dose and flags.

    The "find a patient" box posts (a name must never reach a URL, a log or the history);
    ``?q=`` is not read.
    """
    screen = _screen(request, request.POST.get("q", "") if request.method == "POST" else "")
    return render(request, "methadone/today.html", _today_context(request, screen))


def _today_context(
    request: HttpRequest, screen: selectors.TodayScreen, **extra: Any
) -> dict[str, Any]:
    return {
        "screen": screen,
        "query": screen.query,
        "kinds": DoseKind,
        "can_correct": can(request.user, DOSE_CORRECT),
        "can_prescribe": can(request.user, PRESCRIPTION_RECORD),
        **extra,
    }


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@require_POST
def dose_record(request: HttpRequest, methadone_episode_id: UUID) -> HttpResponse:
    """Record one patient's dose of the day from the list (one tap), then back to the list."""
    # Scope first: another clinic's patient is a 404 and a denial, whatever was posted.
    selectors.dosing_episode(request.user, methadone_episode_id)
    form = DoseForm(request.POST)
    error: str | None = None
    if form.is_valid():
        try:
            actions.dose_record(
                actor=request.user,
                episode_id=methadone_episode_id,
                day=form.cleaned_data["day"],
                kind=form.cleaned_data["kind"],
                dose_mg=form.cleaned_data["dose_mg"],
                acknowledged=form.cleaned_data["acknowledged"],
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
    else:
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
    if _wants_json(request):
        return _row_json(request, methadone_episode_id, error)
    if error is None:
        messages.success(request, _("Dose recorded."))
        # Back to the row (its id, never the name that was typed in the box).
        return redirect(reverse("methadone:today") + f"#row-{methadone_episode_id}")
    # Re-show the list with the refusal on that row and what was typed kept.
    screen = _screen(request, request.POST.get("q", ""))
    context = _today_context(
        request, screen, failed=str(methadone_episode_id), error=error, form=form
    )
    return render(request, "methadone/today.html", context, status=200)


def _row_json(request: HttpRequest, episode_id: UUID, error: str | None) -> JsonResponse:
    row = selectors.today_row(viewer=request.user, episode_id=episode_id, day=timezone.localdate())
    html = ""
    if row is not None:
        html = render(
            request,
            "methadone/includes/today_row.html",
            {
                "row": row,
                "can_correct": can(request.user, DOSE_CORRECT),
                "kinds": DoseKind,
                "can_prescribe": can(request.user, PRESCRIPTION_RECORD),
            },
        ).content.decode()
    return JsonResponse(
        {"ok": error is None, "error": error or "", "html": html},
        status=200 if error is None else 409,
    )


def _add_error(form: forms.Form, problem: ValidationError) -> None:
    """Show an action's refusal on the form; an error about a field the form lacks is shown
    above it (``add_error`` raises on an unknown field: a 500 instead of a message)."""
    if hasattr(problem, "error_dict") and set(problem.error_dict) - set(form.fields):
        form.add_error(None, ValidationError(problem.messages))
    else:
        form.add_error(None, problem)


@require_http_methods(["GET", "POST"])
def dose_correct(request: HttpRequest, dose_id: int) -> HttpResponse:
    """Correct a recorded dose: the new value and a reason; the old value is kept."""
    dose = selectors.correctable_dose(request.user, dose_id)
    initial = {"kind": dose.kind, "dose_mg": dose.dose_mg}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.dose_correct(
                actor=request.user,
                dose_id=dose.pk,
                kind=form.cleaned_data["kind"],
                dose_mg=form.cleaned_data["dose_mg"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as problem:
            _add_error(form, problem)
        else:
            messages.success(request, _("The dose has been corrected."))
            if request.POST.get("next") == "episode":
                return redirect(selectors.episode_url(dose.episode_id))
            return redirect("methadone:today")
    context = {
        "form": form,
        "dose": dose,
        "episode": dose.episode,
        "corrections": selectors.dose_corrections(dose=dose),
    }
    return render(request, "methadone/dose_correct.html", context)


@require_http_methods(["GET", "POST"])
def dose_override(request: HttpRequest, methadone_episode_id: UUID) -> HttpResponse:
    """A prescriber's dose for one day (after missed days, or a one-off change), with why."""
    episode = selectors.prescribable_episode(request.user, methadone_episode_id)
    form = DoseOverrideForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.dose_override_record(
                actor=request.user,
                episode_id=episode.pk,
                day=form.cleaned_data["day"],
                dose_mg=form.cleaned_data["dose_mg"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as problem:
            _add_error(form, problem)
        else:
            messages.success(request, _("The dose for that day has been recorded."))
            return redirect(reverse("methadone:today") + f"#row-{episode.pk}")
    context = {"form": form, "episode": episode, "case": episode.case}
    return render(request, "methadone/dose_override.html", context)


@require_http_methods(["GET", "POST"])
def prescription_add(request: HttpRequest, methadone_episode_id: UUID) -> HttpResponse:
    """Prescribe: a new dose order, checked against the guideline's rules."""
    episode = selectors.prescribable_episode(request.user, methadone_episode_id)
    form = PrescriptionForm(request.POST or None, episode=episode)
    breaches: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            actions.prescription_record(
                actor=request.user,
                episode_id=episode.pk,
                prescription=form.instance,
                override_reason=form.cleaned_data["override_reason"],
            )
        except actions.RuleBreach as breach:
            breaches = [b.text() for b in breach.breaches]
            form.add_error("override_reason", _("Give the reason for overriding the guideline."))
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, _("Prescription saved."))
            return redirect("methadone:episode", methadone_episode_id=episode.pk)
    context = {"form": form, "episode": episode, "case": episode.case, "breaches": breaches}
    return render(request, "methadone/prescription_form.html", context)


@require_GET
def episode(request: HttpRequest, methadone_episode_id: UUID) -> HttpResponse:
    """A methadone episode: its prescriptions and recent doses, with links to act on them."""
    found = selectors.episode_for_viewer(request.user, methadone_episode_id)
    clinic = selectors.clinic_of(request.user)
    at_clinic = clinic is not None and clinic.pk == found.provider_id and found.ended_on is None
    context = {
        "episode": found,
        "case": found.case,
        "prescriptions": selectors.episode_prescriptions(episode=found),
        "doses": selectors.episode_doses(episode=found),
        "overrides": selectors.episode_overrides(episode=found),
        "can_prescribe": at_clinic and can(request.user, PRESCRIPTION_RECORD),
        "can_correct": clinic is not None
        and clinic.pk == found.provider_id
        and can(request.user, DOSE_CORRECT),
    }
    return render(request, "methadone/episode.html", context)
