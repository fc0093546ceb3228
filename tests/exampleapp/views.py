"""The case note's pages: add (from the case page's "Add…" menu), read, edit."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import access
from core.edit_page import edit_submit

from . import actions
from .forms import CaseNoteForm
from .models import CaseNote
from .records import NOTES


@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = NOTES.case_to_add_to(request.user, case_id)
    form = CaseNoteForm(request.POST or None, instance=CaseNote(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.casenote_add(actor=request.user, note=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The note has been saved."))
            return redirect("exampleapp:note_detail", note_id=note.pk)
    return render(request, "exampleapp/note_form.html", {"form": form, "case": case})


@require_GET
def note_detail(request: HttpRequest, note_id: UUID) -> HttpResponse:
    note = access.get_for_user(request.user, CaseNote, note_id)
    return render(request, "exampleapp/note_detail.html", {"note": note, "case": note.case})


@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: UUID) -> HttpResponse:
    note = access.get_for_user(request.user, CaseNote, note_id, "change")
    outcome = edit_submit(
        request,
        CaseNoteForm(request.POST or None, instance=note),
        save=lambda form: actions.casenote_change(
            actor=request.user, note=form.instance, if_version=form.opened_version(note)
        ),
        rebuild=lambda data, current: CaseNoteForm(data, instance=current),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("exampleapp:note_detail", note_id=note.pk)
    context = {"form": outcome.form, "conflict": outcome.conflict, "case": note.case, "note": note}
    return render(request, "exampleapp/note_form.html", context)
