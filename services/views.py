"""Pages of service records: add one to a case, see it, edit it. Scoped through cases.access."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from cases import access
from cases.models import Case
from core.edit_page import edit_submit

from . import actions, kinds, selectors
from .capabilities import SERVICE_ADD, SERVICE_CHANGE
from .forms import FollowUpVisitForm, StageForm
from .models import EpisodeStage, FollowUp, Screening, TreatmentEpisode


@require_http_methods(["GET", "POST"])
def record_add(request: HttpRequest, case_id: UUID, kind_slug: str) -> HttpResponse:
    kind = kinds.get(kind_slug)
    case = access.get_for_user(request.user, Case, case_id, "change")
    if not can(request.user, SERVICE_ADD, case) or not kind.offered_to(case.category):
        raise PermissionDenied
    form = kind.form(request.POST or None, case=case, user=request.user)
    if request.method == "POST" and form.is_valid() and form.ready_to_save():
        try:
            if kind.adder is not None:
                kind.adder(actor=request.user, form=form)
            else:
                actions.record_add(
                    actor=request.user,
                    record=form.instance,
                    checks=kind.checks,
                    after=kind.after,
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(kind)s saved.") % {"kind": kind.label})
            return redirect("cases:case_detail", case_id=case.pk)
    context = {"form": form, "case": case, "kind": kind}
    template = "screening_form" if kind.model is Screening else "record_form"
    return render(request, getattr(form, "page_template", f"services/{template}.html"), context)


@require_http_methods(["GET", "POST"])
def record_detail(request: HttpRequest, kind_slug: str, record_id: UUID) -> HttpResponse:
    kind = kinds.get(kind_slug)
    record = access.get_for_user(request.user, kind.model, record_id, "view")
    revealed = False
    if request.method == "POST" and selectors.has_masked(record):
        actions.location_reveal(actor=request.user, record=record)
        revealed = True
    context = {
        "record": record,
        "kind": kind,
        "case": record.case,
        "revealed": revealed,
        "facts": selectors.record_facts(record=record, kind=kind, revealed=revealed),
        "has_masked": selectors.has_masked(record),
        "screening": selectors.screening_view(record) if isinstance(record, Screening) else None,
    }
    if isinstance(record, TreatmentEpisode):
        context["stages"] = selectors.episode_stages(viewer=request.user, episode=record)
        # Its prescriptions and doses are the "methadone" part: no link to a page that 404s.
        context["methadone_shown"] = "methadone" in access.parts_visible(request.user, record.case)
    templates = [f"services/{kind.slug}_detail.html", "services/record_detail.html"]
    return render(request, templates, context)


@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, kind_slug: str, record_id: UUID) -> HttpResponse:
    kind = kinds.get(kind_slug)
    record = access.get_for_user(request.user, kind.model, record_id, "change")
    if not kind.editable:
        raise Http404
    outcome = edit_submit(
        request,
        kind.form(request.POST or None, instance=record, case=record.case, user=request.user),
        save=lambda form: actions.record_change(
            actor=request.user,
            record=form.instance,
            checks=kind.checks,
            after=kind.after,
            if_version=form.opened_version(record),
        ),
        rebuild=lambda data, current: kind.form(
            data, instance=current, case=current.case, user=request.user
        ),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("services:record_detail", kind_slug=kind.slug, record_id=record.pk)
    # The form holds the masked values (place, address, contact, shelter) to edit them:
    # showing it is a reveal, recorded each time like the record page's "show" button.
    revealed = selectors.has_masked(record)
    if revealed:
        actions.location_reveal(actor=request.user, record=record, via="edit_form")
    context = {
        "form": outcome.form,
        "case": record.case,
        "kind": kind,
        "record": record,
        "conflict": outcome.conflict,
        "revealed": revealed,
    }
    return render(request, "services/record_form.html", context)


@require_http_methods(["GET", "POST"])
def followup_record(request: HttpRequest, followup_id: UUID) -> HttpResponse:
    """Record a planned follow-up (a check-in, a visit) as done: its date and how it went."""
    followup = access.get_for_user(request.user, FollowUp, followup_id, "change")
    if not can(request.user, SERVICE_CHANGE, followup):
        raise PermissionDenied
    if followup.cancelled_on is not None:
        messages.error(request, _("This follow-up was cancelled; plan a new one instead."))
        return redirect("services:record_detail", kind_slug="follow-up", record_id=followup.pk)
    outcome = edit_submit(
        request,
        FollowUpVisitForm(
            request.POST or None, instance=followup, case=followup.case, user=request.user
        ),
        save=lambda form: actions.followup_record_visit(
            actor=request.user,
            followup=followup,
            done_on=form.cleaned_data["done_on"],
            note=form.cleaned_data["note"],
            if_version=form.opened_version(followup),
        ),
        rebuild=lambda data, current: FollowUpVisitForm(
            data, instance=current, case=current.case, user=request.user
        ),
        saved_message=_("The visit has been recorded."),
    )
    if outcome.saved:
        return redirect("cases:case_detail", case_id=followup.case_id)
    context = {
        "form": outcome.form,
        "case": followup.case,
        "record": followup,
        "conflict": outcome.conflict,
    }
    return render(request, "services/followup_record.html", context)


@require_http_methods(["GET", "POST"])
def stage_add(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = access.get_for_user(request.user, TreatmentEpisode, episode_id, "change")
    if not can(request.user, SERVICE_CHANGE, episode):
        raise PermissionDenied
    if not episode.residential:
        messages.error(request, _("Stages are recorded only for treatment at a facility."))
        return redirect("services:record_detail", kind_slug="episode", record_id=episode.pk)
    recorded = [s.stage for s in selectors.episode_stages(viewer=request.user, episode=episode)]
    form = StageForm(request.POST or None, episode=episode, recorded=recorded)
    return _stage_form(request, form, episode=episode, stage=None)


@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, stage_id: UUID) -> HttpResponse:
    stage = access.get_for_user(request.user, EpisodeStage, stage_id, "change")
    if not can(request.user, SERVICE_CHANGE, stage):
        raise PermissionDenied
    form = StageForm(request.POST or None, instance=stage, episode=stage.episode)
    return _stage_form(request, form, episode=stage.episode, stage=stage)


def _stage_form(
    request: HttpRequest, form: StageForm, *, episode: TreatmentEpisode, stage: Any
) -> HttpResponse:
    """Save the stage form when valid (back to the episode), else show it with its errors."""
    outcome = edit_submit(
        request,
        form,
        save=lambda form: actions.stage_record(
            actor=request.user,
            stage=form.instance,
            if_version=form.opened_version(form.instance),
        ),
        rebuild=lambda data, current: StageForm(data, instance=current, episode=episode),
        saved_message=lambda form: _("%(stage)s saved.") % {"stage": form.instance},
    )
    if outcome.saved:
        return redirect("services:record_detail", kind_slug="episode", record_id=episode.pk)
    context = {
        "form": outcome.form,
        "episode": episode,
        "case": episode.case,
        "stage": stage,
        "conflict": outcome.conflict,
    }
    return render(request, "services/stage_form.html", context)
