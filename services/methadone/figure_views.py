"""The methadone figures pages: one patient's episode, and one clinic (counts only)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can

from . import charts, figures
from .capabilities_figures import CLINIC_FIGURES
from .models import DoseKind


@require_http_methods(["GET"])
def episode_figures(request: HttpRequest, methadone_episode_id: UUID) -> HttpResponse:
    """Show a patient's dose chart, missed-day runs, adherence and time in treatment."""
    episode = figures.methadone_episode_for(request.user, methadone_episode_id)
    report = figures.episode_report(episode=episode)
    context = {
        "episode": episode,
        "report": report,
        "chart": charts.dose_chart(report.series),
        "kinds": {kind.value: kind.label for kind in DoseKind},
    }
    return render(request, "methadone/episode_figures.html", context)


@require_http_methods(["GET"])
def clinic_figures(request: HttpRequest) -> HttpResponse:
    """Show a clinic's counts, adherence distribution and retention table (no names)."""
    if not can(request.user, CLINIC_FIGURES):
        raise PermissionDenied
    clinic = figures.clinic_for(request.user, request.GET.get("clinic"))
    if clinic is None:  # no clinic in the user's area provides methadone treatment yet
        return render(request, "methadone/clinic_figures.html", {"report": None})
    report = figures.clinic_report(viewer=request.user, clinic=clinic)
    context = {
        "report": report,
        "clinics": figures.clinics_for(request.user),
        "chart": charts.distribution_chart(report.distribution),
        "buckets": [(charts.bucket_label(b), b.patients) for b in report.distribution],
    }
    return render(request, "methadone/clinic_figures.html", context)
