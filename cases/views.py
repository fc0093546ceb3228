"""Pages for people and cases: parse input, call one selector or action, render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import access, actions, selectors
from .forms import CaseForm, PersonForm, SearchForm


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("cases:person_search")


@require_http_methods(["GET", "POST"])
def person_search(request: HttpRequest) -> HttpResponse:
    # POST, so searched identifiers never land in URLs, proxy logs or browser history.
    form = SearchForm(request.POST or None)
    results = None
    if form.is_valid():
        results = selectors.person_search(
            viewer=request.user,
            kind=form.cleaned_data["kind"],
            query=form.cleaned_data["q"],
            birth_year=form.cleaned_data["birth_year"],
        )
    context = {
        "form": form,
        "results": results,
        "can_register": access.can_register_people(request.user),
    }
    return render(request, "cases/person_search.html", context)


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    if not access.can_register_people(request.user):
        raise PermissionDenied
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.person_register(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The person has been registered."))
            return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/person_form.html", {"form": form, "person": None})


@require_GET
def person_detail(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "view")
    context = {
        "person": person,
        "cases": selectors.person_cases(viewer=request.user, person=person),
        "can_change": access.visible_people(request.user, "change").filter(pk=person.pk).exists(),
    }
    return render(request, "cases/person_detail.html", context)


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.person_update(actor=request.user, person=person, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/person_form.html", {"form": form, "person": person})


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.case_list_for(viewer=request.user, status=request.GET.get("status"))
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.case_open(actor=request.user, person=person, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case has been opened."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "person": person, "case": None})


@require_GET
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "view")
    can_change = access.visible_cases(request.user, "change").filter(pk=case.pk).exists()
    return render(request, "cases/case_detail.html", {"case": case, "can_change": can_change})


@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "change")
    form = CaseForm(request.POST or None, instance=case, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.case_update(actor=request.user, case=case, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    context = {"form": form, "person": case.person, "case": case}
    return render(request, "cases/case_form.html", context)
