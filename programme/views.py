"""The programme pages under /programme/: courses and their attendees, volunteers,
communication activities and planned activities of the user's area (writes through
``programme.actions``, reads through ``programme.selectors``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from accounts.models import account_of
from core.edit_page import edit_submit

from . import actions, selectors
from .capabilities import PROGRAMME_CHANGE, PROGRAMME_VIEW
from .forms import ActivityForm, AttendeeForm, CourseForm, PlannedActivityForm, VolunteerForm
from .models import Attendance, Course

LISTED = 50  # the newest of each kind on the programme page


def _require(request: HttpRequest, capability: str) -> None:
    if not can(request.user, capability):
        raise PermissionDenied


@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    """List the newest courses, activities, volunteers and planned activities of the area."""
    _require(request, PROGRAMME_VIEW)
    user = request.user
    context = {
        "courses": selectors.courses_for(user)[:LISTED],
        "activities": selectors.activities_for(user)[:LISTED],
        "volunteers": selectors.volunteer_list(viewer=account_of(user), limit=LISTED),
        "planned": selectors.planned_for(user)[:LISTED],
        "may_change": can(user, PROGRAMME_CHANGE),
    }
    return render(request, "programme/index.html", context)


def _form_page(
    request: HttpRequest,
    form: forms.ModelForm,  # type: ignore[type-arg]
    *,
    save: Callable[[Any], Any],
    rebuild: Callable[[Any, Any], Any],
    title: str,
    done: Callable[[Any], HttpResponse],
) -> HttpResponse:
    """Save the form when valid (then ``done(saved row)``), else show it with its errors."""
    saved: list[Any] = []
    outcome = edit_submit(
        request,
        form,
        save=lambda f: saved.append(save(f)),
        rebuild=rebuild,
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return done(saved[0])
    context = {"form": outcome.form, "conflict": outcome.conflict, "title": title}
    return render(request, "programme/form.html", context)


def _back(request: HttpRequest) -> Callable[[Any], HttpResponse]:
    return lambda row: redirect("programme:index")


# --- courses ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def course_add(request: HttpRequest) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    return _form_page(
        request,
        CourseForm(request.POST or None, user=user),
        save=lambda f: actions.course_save(actor=user, course=f.instance),
        rebuild=lambda data, current: CourseForm(data, instance=current, user=user),
        title=_("Add a training course"),
        done=lambda course: redirect("programme:course_detail", course_id=course.pk),
    )


@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: UUID) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    course = selectors.course_for_user(user, course_id, "change")
    return _form_page(
        request,
        CourseForm(request.POST or None, instance=course, user=user),
        save=lambda f: actions.course_save(
            actor=user, course=f.instance, if_version=f.opened_version(course)
        ),
        rebuild=lambda data, current: CourseForm(data, instance=current, user=user),
        title=_("Edit the training course"),
        done=lambda row: redirect("programme:course_detail", course_id=row.pk),
    )


@require_http_methods(["GET"])
def course_detail(request: HttpRequest, course_id: UUID) -> HttpResponse:
    """Show a course and its attendees (the read is recorded)."""
    _require(request, PROGRAMME_VIEW)
    course = selectors.course_for_user(request.user, course_id)
    attendees = selectors.course_attendees(viewer=account_of(request.user), course=course)
    context = {
        "course": course,
        "attendees": attendees,
        "may_change": selectors.courses_for(request.user, "change").filter(pk=course.pk).exists(),
    }
    return render(request, "programme/course_detail.html", context)


@require_http_methods(["GET", "POST"])
def attendee_add(request: HttpRequest, course_id: UUID) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    course = selectors.course_for_user(user, course_id, "change")
    form = AttendeeForm(request.POST or None, instance=Attendance(course=course), user=user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.attendee_add(actor=user, attendance=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The attendee has been added."))
            if "another" in request.POST:
                return redirect("programme:attendee_add", course_id=course.pk)
            return redirect("programme:course_detail", course_id=course.pk)
    return render(request, "programme/attendee_form.html", {"form": form, "course": course})


@require_http_methods(["GET", "POST"])
def attendee_remove(request: HttpRequest, attendance_id: UUID) -> HttpResponse:
    """Ask, then remove an attendee from a course (the history keeps the row)."""
    _require(request, PROGRAMME_CHANGE)
    attendance = selectors.attendance_for_user(request.user, attendance_id, "change")
    course: Course = attendance.course
    error = ""
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        try:
            actions.attendee_remove(actor=request.user, attendance=attendance, if_version=version)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, _("The attendee has been removed."))
            return redirect("programme:course_detail", course_id=course.pk)
    context = {"attendance": attendance, "course": course, "error": error}
    return render(request, "programme/attendee_remove.html", context)


# --- volunteers, activities, planned activities -------------------------------------------------


@require_http_methods(["GET", "POST"])
def volunteer_add(request: HttpRequest) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    return _form_page(
        request,
        VolunteerForm(request.POST or None, user=user),
        save=lambda f: actions.volunteer_save(actor=user, volunteer=f.instance),
        rebuild=lambda data, current: VolunteerForm(data, instance=current, user=user),
        title=_("Register a volunteer"),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def volunteer_edit(request: HttpRequest, volunteer_id: UUID) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    volunteer = selectors.volunteer_for_user(user, volunteer_id, "change")
    return _form_page(
        request,
        VolunteerForm(request.POST or None, instance=volunteer, user=user),
        save=lambda f: actions.volunteer_save(
            actor=user, volunteer=f.instance, if_version=f.opened_version(volunteer)
        ),
        rebuild=lambda data, current: VolunteerForm(data, instance=current, user=user),
        title=_("Edit the volunteer"),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def activity_add(request: HttpRequest) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    return _form_page(
        request,
        ActivityForm(request.POST or None, user=user),
        save=lambda f: actions.activity_save(actor=user, activity=f.instance),
        rebuild=lambda data, current: ActivityForm(data, instance=current, user=user),
        title=_("Add a communication activity"),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, activity_id: UUID) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    activity = selectors.activity_for_user(user, activity_id, "change")
    return _form_page(
        request,
        ActivityForm(request.POST or None, instance=activity, user=user),
        save=lambda f: actions.activity_save(
            actor=user, activity=f.instance, if_version=f.opened_version(activity)
        ),
        rebuild=lambda data, current: ActivityForm(data, instance=current, user=user),
        title=_("Edit the communication activity"),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def planned_add(request: HttpRequest) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    return _form_page(
        request,
        PlannedActivityForm(request.POST or None, user=user),
        save=lambda f: actions.planned_save(actor=user, planned=f.instance),
        rebuild=lambda data, current: PlannedActivityForm(data, instance=current, user=user),
        title=_("Add a planned activity"),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def planned_edit(request: HttpRequest, planned_id: UUID) -> HttpResponse:
    _require(request, PROGRAMME_CHANGE)
    user = request.user
    planned = selectors.planned_for_user(user, planned_id, "change")
    return _form_page(
        request,
        PlannedActivityForm(request.POST or None, instance=planned, user=user),
        save=lambda f: actions.planned_save(
            actor=user, planned=f.instance, if_version=f.opened_version(planned)
        ),
        rebuild=lambda data, current: PlannedActivityForm(data, instance=current, user=user),
        title=_("Edit the planned activity"),
        done=_back(request),
    )
