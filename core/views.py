"""Pages that belong to no app: the start-page redirect."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import navigation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the start page of their role."""
    target = navigation.start_page_for(request.user)
    if target is None:
        return render(request, "no_role.html", status=403)
    return redirect(target)
