"""Write people and cases: check permission, validate, save with history in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import access, selectors
from .models import Case, Person

PERSON_FIELDS = (
    "full_name", "aliases", "citizen_id", "phone", "address", "family_contact", "birth_date",
    "residence_commune", "sex", "birth_year", "ethnicity",
)  # fmt: skip
CASE_FIELDS = (
    "category", "managed_record", "status", "opened_on", "closed_on", "organisation",
    "assigned_to", "notes",
)  # fmt: skip


def _assign(instance: Person | Case, names: tuple[str, ...], data: dict[str, Any]) -> None:
    for name in names:
        if name in data:
            setattr(instance, name, data[name])


def _validate_and_save[T: (Person, Case)](
    actor: access.AnyUser, instance: T, *checks: Callable[[T], None]
) -> None:
    """Validate, run the extra checks, and save with the actor recorded in history."""
    instance.full_clean()
    for check in checks:
        check(instance)
    instance._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        instance.save()


def _refuse_duplicate_citizen_id(person: Person) -> None:
    if person.citizen_id and selectors.citizen_id_holder(number=person.citizen_id, exclude=person):
        raise ValidationError(
            {
                "citizen_id": _(
                    "A person with this citizen ID number is already registered. "
                    "Search for them instead of registering them again."
                )
            }
        )


def person_register(*, actor: access.AnyUser, data: dict[str, Any]) -> Person:
    """Register a new person on behalf of the actor's organisation."""
    profile = access.profile_of(actor)
    if profile is None or not access.can_register_people(actor):
        raise PermissionDenied
    person = Person(registered_by=profile.organisation)
    _assign(person, PERSON_FIELDS, data)
    _validate_and_save(actor, person, _refuse_duplicate_citizen_id)
    return person


def person_update(*, actor: access.AnyUser, person: Person, data: dict[str, Any]) -> Person:
    """Change a person's record; the actor must hold change permission on them."""
    person = access.get_person_for_user(actor, person.pk, "change")
    _assign(person, PERSON_FIELDS, data)
    _validate_and_save(actor, person, _refuse_duplicate_citizen_id)
    return person


def _check_case_organisation(actor: access.AnyUser, case: Case) -> None:
    if not access.case_organisations(actor).filter(pk=case.organisation_id).exists():
        raise PermissionDenied


def case_open(*, actor: access.AnyUser, person: Person, data: dict[str, Any]) -> Case:
    """Open a case for a person the actor may change, held by the actor's organisation."""
    person = access.get_person_for_user(actor, person.pk, "change")
    case = Case(person=person)
    _assign(case, CASE_FIELDS, data)
    _check_case_organisation(actor, case)
    _validate_and_save(actor, case)
    return case


def case_update(*, actor: access.AnyUser, case: Case, data: dict[str, Any]) -> Case:
    """Change a case the actor may change."""
    case = access.get_case_for_user(actor, case.pk, "change")
    held_by = case.organisation_id
    _assign(case, CASE_FIELDS, data)
    if case.organisation_id != held_by:
        _check_case_organisation(actor, case)
    _validate_and_save(actor, case)
    return case
