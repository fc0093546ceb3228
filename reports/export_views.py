"""The figures report page: choose a unit and a period, download XLSX or CSV.

A small report is sent at once; a larger one (``reports.files.in_background``) is built by
the worker: the page asks for it (POST), then shows its state until the file is ready.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from cases.capabilities import FIGURES_VIEW

from . import export, files, report_requests, suppression
from .export_forms import ReportForm
from .models import ReportFileStatus

# Seconds between refreshes of a report's page while it is queued or building.
REFRESH_SECONDS = 3


def _figures_only(request: HttpRequest) -> None:
    if not can(request.user, FIGURES_VIEW):
        raise PermissionDenied


def _attachment(file: export.ExportFile) -> HttpResponse:
    response = HttpResponse(file.body, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response


@require_http_methods(["GET"])
def report(request: HttpRequest) -> HttpResponse:
    """Show the report form; with a filled form, send the file (the export is recorded),
    or offer to build a large one in the background."""
    _figures_only(request)
    units = suppression.figures_units(request.user)
    if "format" not in request.GET:
        return render(request, "reports/report_form.html", {"form": ReportForm(units=units)})
    # A unit outside the viewer's province: a denied event and a 404, not a form error.
    unit = suppression.figures_unit_for(request.user, request.GET.get("unit", ""))
    form = ReportForm(request.GET, units=units)
    if not form.is_valid():
        return render(request, "reports/report_form.html", {"form": form})
    data = form.cleaned_data
    if files.in_background(unit, form.periods(), data["breakdowns"]):
        return render(request, "reports/report_queue.html", {"form": form, "unit": unit})
    file = export.report_export(
        actor=request.user,
        unit=unit,
        periods=form.periods(),
        breakdowns=data["breakdowns"],
        sharing=data["sharing"],
        fmt=data["format"],
        old_map=form.on_old_map(),
    )
    return _attachment(file)


@require_http_methods(["POST"])
def report_queue(request: HttpRequest) -> HttpResponse:
    """Ask for the report the query string describes to be built in the background."""
    _figures_only(request)
    units = suppression.figures_units(request.user)
    unit = suppression.figures_unit_for(request.user, request.GET.get("unit", ""))
    form = ReportForm(request.GET, units=units)
    if not form.is_valid():
        return render(request, "reports/report_form.html", {"form": form})
    data = form.cleaned_data
    row = report_requests.report_file_request(
        actor=request.user,
        unit=unit,
        periods=form.periods(),
        breakdowns=data["breakdowns"],
        sharing=data["sharing"],
        fmt=data["format"],
        old_map=form.on_old_map(),
    )
    return redirect("reports:report_file", file_id=row.pk)


@require_http_methods(["GET"])
def report_file(request: HttpRequest, file_id: UUID) -> HttpResponse:
    """Show the state of the viewer's report: queued, building, ready or failed."""
    _figures_only(request)
    row = files.file_for(request.user, file_id)
    stalled = files.stalled(row)
    waiting = row.status in (ReportFileStatus.QUEUED, ReportFileStatus.BUILDING) and not stalled
    context = {"file": row, "stalled": stalled, "refresh": REFRESH_SECONDS if waiting else None}
    return render(request, "reports/report_file.html", context)


@require_http_methods(["POST"])
def report_file_download(request: HttpRequest, file_id: UUID) -> HttpResponse:
    """Send the viewer's built report once (recorded, then deleted)."""
    _figures_only(request)
    try:
        file = files.file_download(actor=request.user, file_id=file_id)
    except files.FileExpired as error:
        messages.error(request, error.messages[0])
        return redirect("reports:report")
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("reports:report_file", file_id=file_id)
    return _attachment(file)


@require_http_methods(["POST"])
def report_file_restart(request: HttpRequest, file_id: UUID) -> HttpResponse:
    """Build the viewer's failed or stopped report again."""
    _figures_only(request)
    try:
        report_requests.report_file_restart(actor=request.user, file_id=file_id)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("reports:report_file", file_id=file_id)
