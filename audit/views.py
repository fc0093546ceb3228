"""The auditor's pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases import access
from cases.choices import Role

from . import selectors


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    if not access.has_role(request.user, Role.AUDITOR):
        raise PermissionDenied
    events = selectors.events_for(viewer=request.user)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(request, "audit/event_list.html", {"page": page})
