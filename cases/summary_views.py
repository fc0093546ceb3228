"""The printable case summary page (D46)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import summary


@require_GET
def case_summary(request: HttpRequest, case_id: UUID) -> HttpResponse:
    shown = summary.case_summary(viewer=request.user, case_id=case_id)
    context = {"summary": shown, "case": shown.case, "printed_at": timezone.now()}
    return render(request, "cases/case_summary.html", context)
