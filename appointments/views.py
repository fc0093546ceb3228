"""The appointment pages (D46): add (from the case page's "Add…" menu), read, change, the
day/week calendar and its calendar file."""

from __future__ import annotations

import datetime
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.capabilities import can
from cases import access
from cases.capabilities import MY_WORK
from core.edit_page import edit_submit

from . import actions, ics, selectors
from .forms import AppointmentForm
from .models import Appointment
from .records import APPOINTMENTS


@require_http_methods(["GET", "POST"])
def appointment_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = APPOINTMENTS.case_to_add_to(request.user, case_id)
    form = AppointmentForm(request.POST or None, instance=Appointment(case=case), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = actions.appointment_add(actor=request.user, appointment=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The appointment has been saved."))
            return redirect("cases:case_detail", case_id=appointment.case_id)
    return render(request, "appointments/appointment_form.html", {"form": form, "case": case})


@require_GET
def appointment_detail(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = access.get_for_user(request.user, Appointment, appointment_id)
    context = {
        "appointment": appointment,
        "case": appointment.case,
        "may_change": can(request.user, APPOINTMENTS.change_verb, appointment),
    }
    return render(request, "appointments/appointment_detail.html", context)


@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = access.get_for_user(request.user, Appointment, appointment_id, "change")
    outcome = edit_submit(
        request,
        AppointmentForm(request.POST or None, instance=appointment, user=request.user),
        save=lambda form: actions.appointment_change(
            actor=request.user,
            appointment=form.instance,
            if_version=form.opened_version(appointment),
        ),
        rebuild=lambda data, current: AppointmentForm(data, instance=current, user=request.user),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("appointments:appointment_detail", appointment_id=appointment.pk)
    context = {
        "form": outcome.form,
        "conflict": outcome.conflict,
        "case": appointment.case,
        "appointment": appointment,
    }
    return render(request, "appointments/appointment_form.html", context)


def _require_calendar(request: HttpRequest) -> None:
    if not can(request.user, MY_WORK):
        access.deny(request.user, MY_WORK, object_type="calendar")
        raise PermissionDenied


def _day(text: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return timezone.localdate()


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    _require_calendar(request)
    shown = selectors.calendar(
        viewer=request.user,
        day=_day(request.GET.get("day")),
        view=request.GET.get("view", "week"),
        who=request.GET.get("who", "me"),
    )
    return render(
        request, "appointments/calendar.html", {"calendar": shown, "today": timezone.localdate()}
    )


@require_GET
def calendar_file(request: HttpRequest) -> HttpResponse:
    _require_calendar(request)
    rows = selectors.for_calendar_file(viewer=request.user)
    body = ics.calendar_file(
        (row, request.build_absolute_uri(reverse(APPOINTMENTS.detail_url, args=[row.pk])))
        for row in rows
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="lich-hen.ics"'
    response["Cache-Control"] = "no-store, private"
    return response
