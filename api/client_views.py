"""The administrators' pages for API clients: list, create (token shown once), new token,
revoke. A new client's role waits for a second person on the approvals page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.capabilities import USERS_MANAGE
from accounts.models import User
from cases import access

from . import actions, selectors
from .forms import ApiClientForm, TokenForm


def _admin(request: HttpRequest) -> User:
    if not access.can(request.user, USERS_MANAGE) or not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@require_http_methods(["GET", "POST"])
def client_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.api_client_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            context = {"client": created.client, "token": created.token, "pending": created.pending}
            return render(request, "api/token.html", context)
    clients = selectors.clients_for(viewer=actor)
    return render(request, "api/client_list.html", {"form": form, "clients": clients})


@require_POST
def client_token(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor = _admin(request)
    client = selectors.client_for_admin(viewer=actor, client_id=client_id)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token = actions.api_token_issue(
                actor=actor, client=client, days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            return render(request, "api/token.html", {"client": client, "token": token})
    return redirect("api_clients:list")


@require_POST
def client_revoke(request: HttpRequest, client_id: UUID) -> HttpResponse:
    actor = _admin(request)
    client = selectors.client_for_admin(viewer=actor, client_id=client_id)
    actions.api_client_revoke(actor=actor, client=client)
    messages.success(request, _("The client has been revoked: its token no longer works."))
    return redirect("api_clients:list")
