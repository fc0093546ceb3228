"""The pages of casework (D42): contact notes on a case, family links on a person page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.edit_page import edit_submit

from . import access, family, notes
from .casework_forms import ContactNoteForm, FamilyForm
from .models import ContactNote


@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = notes.NOTES.case_to_add_to(request.user, case_id)
    form = ContactNoteForm(request.POST or None, instance=ContactNote(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            note = notes.contactnote_add(actor=request.user, note=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The note has been saved."))
            return redirect("cases:case_detail", case_id=note.case_id)
    return render(request, "cases/note_form.html", {"form": form, "case": case})


@require_GET
def note_detail(request: HttpRequest, note_id: UUID) -> HttpResponse:
    note = access.get_for_user(request.user, ContactNote, note_id)
    context = {
        "note": note,
        "case": note.case,
        "addenda": notes.addenda_of(viewer=request.user, note=note),
        "may_change": not notes.edit_refusal(request.user, note)
        and access.can(request.user, notes.NOTES.change_verb, note),
        "may_add": access.can(request.user, notes.NOTES.add_verb, note.case),
    }
    return render(request, "cases/note_detail.html", context)


@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: UUID) -> HttpResponse:
    note = notes.note_to_change(request.user, note_id)
    outcome = edit_submit(
        request,
        ContactNoteForm(request.POST or None, instance=note),
        save=lambda form: notes.contactnote_change(
            actor=request.user, note=form.instance, if_version=form.opened_version(note)
        ),
        rebuild=lambda data, current: ContactNoteForm(data, instance=current),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("cases:note_detail", note_id=note.pk)
    context = {"form": outcome.form, "conflict": outcome.conflict, "case": note.case, "note": note}
    return render(request, "cases/note_form.html", context)


@require_http_methods(["GET", "POST"])
def note_addendum(request: HttpRequest, note_id: UUID) -> HttpResponse:
    # "change": whoever may write on the note's case (a reader is refused on the note).
    original = access.get_for_user(request.user, ContactNote, note_id, "change")
    case = notes.NOTES.case_to_add_to(request.user, original.case_id)
    form = ContactNoteForm(request.POST or None, instance=ContactNote(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            notes.contactnote_addendum(actor=request.user, original=original, note=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The addendum has been saved."))
            return redirect("cases:note_detail", note_id=original.addendum_to_id or original.pk)
    context = {"form": form, "case": case, "original": original}
    return render(request, "cases/note_form.html", context)


@require_http_methods(["GET", "POST"])
def family_add(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    form = FamilyForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["citizen_id"]:
                relative = family.relative_by_citizen_id(
                    viewer=request.user, number=data["citizen_id"]
                )
                if relative is None:
                    raise ValidationError(
                        {"citizen_id": _("Nobody you may see has this citizen ID number.")}
                    )
                family.family_link_add(
                    actor=request.user,
                    person=person,
                    relative=relative,
                    relation=data["relation"],
                    contact=data["contact"],
                )
            else:
                family.family_member_register(
                    actor=request.user,
                    person=person,
                    data=form.new_person(),
                    relation=data["relation"],
                    contact=data["contact"],
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The family member has been linked."))
            return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/family_form.html", {"form": form, "person": person})


@require_POST
def family_remove(request: HttpRequest, link_id: UUID) -> HttpResponse:
    link = family.family_link_remove(actor=request.user, link_id=link_id)
    messages.success(request, _("The family link has been removed."))
    return redirect("cases:person_detail", person_id=link.person_id)
