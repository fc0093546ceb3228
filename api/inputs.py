"""Hand the API's input to the same forms the pages validate with, so a write through the
API is checked exactly as one through a page before it reaches the same action."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Schema

from accounts.models import User
from cases import access
from cases.forms import CaseForm, PersonForm, SearchForm
from cases.models import AdministrativeUnit, Case, Person

from .schemas import CaseCreate, CaseIn, CaseUpdate, PersonIn, PersonUpdate, SearchIn


def refuse_unstorable_text(body: Schema) -> None:
    """Refuse text no database or cipher takes: a NUL byte (PostgreSQL refuses it) or a lone
    surrogate (not UTF-8), before any query or form sees it (422, per field)."""
    problems = {}
    for name, value in body.model_dump().items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            problems[name] = ValidationError(_("Remove the NUL character."), code="null_character")
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problems[name] = ValidationError(
                _("This text holds a character that is not valid Unicode."), code="surrogate"
            )
    if problems:
        raise ValidationError(problems)


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def search_form(body: SearchIn) -> SearchForm:
    refuse_unstorable_text(body)
    data = {"kind": body.kind, "q": body.query, "birth_year": body.birth_year or ""}
    return SearchForm(data)


def person_form(viewer: access.AnyUser, body: PersonIn, person: Person | None) -> PersonForm:
    """Return the page's person form bound to the API's input (the commune given by code)."""
    refuse_unstorable_text(body)
    data = body.model_dump(exclude={"different_from", "version", "birth_date", "residence_commune"})
    commune = AdministrativeUnit.objects.filter(code=body.residence_commune).first()
    data |= {
        "birth_date": _date(body.birth_date),
        "residence_commune": commune.pk if commune is not None else "",
        "birth_year_estimated": "on" if body.birth_year_estimated else "",
    }
    if isinstance(body, PersonUpdate):
        data["version"] = body.version
    return PersonForm(data, instance=person, user=viewer)


def case_form(
    viewer: access.AnyUser, body: CaseIn, *, person: Person | None = None, case: Case | None = None
) -> CaseForm:
    """Return the page's case form bound to the API's input (the assignee given by username)."""
    refuse_unstorable_text(body)
    assignee = (
        User.objects.filter(username=body.assigned_to).values_list("pk", flat=True).first()
        if body.assigned_to
        else None
    )
    data: dict[str, Any] = {
        "category": body.category,
        "managed_record": "on" if body.managed_record else "",
        "status": body.status,
        "opened_on": _date(body.opened_on),
        "closed_on": _date(body.closed_on),
        "organisation": str(body.organisation_id),
        "assigned_to": assignee or ("-" if body.assigned_to else ""),
        "notes": body.notes,
    }
    if isinstance(body, CaseCreate) and body.confirm_second_case:
        data["confirm_second_case"] = "on"
    if isinstance(body, CaseUpdate):
        data["version"] = body.version
    if case is not None:
        return CaseForm(data, instance=case, user=viewer)
    return CaseForm(data, user=viewer, person=person)
