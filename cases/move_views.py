"""The pages of a person's move: record it, the receiving commune's queue, accept (D50)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, moves
from . import capabilities as caps
from .move_forms import MoveForm


@require_http_methods(["GET", "POST"])
def move_record(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            move = moves.move_record(
                actor=request.user,
                person_id=person.pk,
                to_commune=form.cleaned_data["to_commune"],
                moved_on=form.cleaned_data["moved_on"],
                source=form.cleaned_data["source"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The move has been recorded; the new commune has been notified.")
            )
            return redirect("cases:move_detail", move_id=move.pk)
    return render(request, "cases/move_form.html", {"form": form, "person": person})


@require_GET
def handover_queue(request: HttpRequest) -> HttpResponse:
    """People who moved into the user's communes, waiting for acceptance; and the moves
    the user's organisation recorded."""
    if not access.can(request.user, caps.MY_WORK):
        access.deny(request.user, "view_moves", object_type="move")
        raise PermissionDenied
    context = {
        "waiting": moves.handover_queue_read(request.user),
        "sent": list(moves.moves_sent(request.user)[:50]),
        "now": timezone.now(),
    }
    return render(request, "cases/move_queue.html", context)


@require_GET
def move_detail(request: HttpRequest, move_id: UUID) -> HttpResponse:
    move = moves.get_move_for_user(request.user, move_id)
    parties = moves.move_parties(request.user, move)
    context = {
        "move": move,
        "may_accept": "receiver" in parties and move.state == "pending",
        "sender": "sender" in parties,
        "overdue": move.overdue(),
    }
    return render(request, "cases/move_detail.html", context)


@require_POST
def move_accept(request: HttpRequest, move_id: UUID) -> HttpResponse:
    try:
        move = moves.move_accept(actor=request.user, move_id=move_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cases:move_detail", move_id=move_id)
    messages.success(request, _("Accepted: the person's follow-up is now your commune's."))
    return redirect("cases:person_detail", person_id=move.person_id)
