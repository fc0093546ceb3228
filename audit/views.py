"""The auditor's pages: events with filters, who saw whom, unusual activity, exports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import actions, selectors
from .forms import CitizenIdLookupForm, EventFilterForm
from .models import Event


def _require_auditor(request: HttpRequest) -> None:
    if not selectors.may_audit(request.user):
        raise PermissionDenied


def _filtered(
    request: HttpRequest,
) -> tuple[EventFilterForm, dict[str, Any] | None, QuerySet[Event]]:
    """Return the filter form, its cleaned filters (None if invalid) and the events they
    select (none under an invalid filter)."""
    query = request.GET.copy()
    query.pop("page", None)
    form = EventFilterForm(query or None)
    filters = form.filters()
    return form, filters, selectors.events_for(viewer=request.user, filters=filters)


def _list_page(
    request: HttpRequest,
    status: int = 200,
    lookup: CitizenIdLookupForm | None = None,
    found: list[Any] | None = None,
) -> HttpResponse:
    form, filters, events = _filtered(request)
    page = Paginator(events, 100).get_page(request.GET.get("page")) if filters is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    person = filters.get("person") if filters else None
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "lookup": lookup or CitizenIdLookupForm(),
        "found": found or [],
        "person_code": str(person)[:8].upper() if person is not None else "",
        "chain_waiting_since": selectors.chain_waiting_since(viewer=request.user),
    }
    return render(request, "audit/event_list.html", context, status=status)


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    return _list_page(request)


@require_GET
def event_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _require_auditor(request)
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    _form, filters, events = _filtered(request)
    if filters is None:
        # Never a file of every event under a filter the auditor did not mean.
        return _list_page(request, status=400)
    body, count = actions.events_export(actor=request.user, events=events, filters=filters, fmt=fmt)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    response["X-Rows"] = str(count)
    return response


@require_GET
def unusual_activity(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    flags = selectors.unusual_activity(viewer=request.user)
    return render(request, "audit/unusual_activity.html", {"flags": flags})


@require_http_methods(["POST"])
def event_person_lookup(request: HttpRequest) -> HttpResponse:
    """Find the record id behind a citizen ID and show who saw that person."""
    _require_auditor(request)
    lookup = CitizenIdLookupForm(request.POST)
    if not lookup.is_valid():
        return _list_page(request, status=400, lookup=lookup)
    number = lookup.cleaned_data["citizen_id"]
    found = actions.citizen_id_lookup(actor=request.user, citizen_id=number)
    if not found:
        lookup.add_error("citizen_id", _("Nobody holds this number."))
        return _list_page(request, lookup=lookup)
    if len(found) > 1:  # a new number of one person and the old number of another
        return _list_page(request, lookup=lookup, found=found)
    return redirect(f"{reverse('audit:event_list')}?person={found[0]}")
