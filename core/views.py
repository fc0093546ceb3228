"""Pages that belong to no app: the start-page redirect and the server-error pages."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as default_server_error

from . import navigation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the start page of their role."""
    target = navigation.start_page_for(request.user)
    if target is None:
        return render(request, "no_role.html", status=403)
    return redirect(target)


# How long a browser is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an unhandled error: 503 if the database is unreachable or a lock wait ran out.

    Django calls this (``handler500``) inside the ``except`` of the failed request, from a
    view or a middleware alike. The 503 page is rendered without the request's context
    processors, which would query the database that just failed.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return default_server_error(request)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
