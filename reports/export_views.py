"""The figures report page: choose a unit and a period, download XLSX or CSV."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from cases.capabilities import FIGURES_VIEW

from . import export, suppression
from .export_forms import ReportForm


@require_http_methods(["GET"])
def report(request: HttpRequest) -> HttpResponse:
    """Show the report form; with a filled form, send the file (the export is recorded)."""
    if not can(request.user, FIGURES_VIEW):
        raise PermissionDenied
    units = suppression.figures_units(request.user)
    if "format" not in request.GET:
        return render(request, "reports/report_form.html", {"form": ReportForm(units=units)})
    # A unit outside the viewer's province: a denied event and a 404, not a form error.
    unit = suppression.figures_unit_for(request.user, request.GET.get("unit", ""))
    form = ReportForm(request.GET, units=units)
    if not form.is_valid():
        return render(request, "reports/report_form.html", {"form": form})
    data = form.cleaned_data
    file = export.report_export(
        actor=request.user,
        unit=unit,
        periods=form.periods(),
        breakdowns=data["breakdowns"],
        sharing=data["sharing"],
        fmt=data["format"],
    )
    response = HttpResponse(file.body, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response
