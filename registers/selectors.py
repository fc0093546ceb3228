"""Reads of the import: people the importer may see who may be a file's person."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from cases import access
from cases.models import Person
from cases.selectors import possible_duplicates as possible_duplicates
from core import normalize
from core.fields import BlindIndexField

from .models import RegisterImport


def citizen_id_matches(*, viewer: access.AnyUser, number: str) -> list[Person]:
    """Return the people the viewer may see who hold this citizen ID number."""
    field = Person._meta.get_field("citizen_id_index")
    assert isinstance(field, BlindIndexField)  # noqa: S101
    index = field.compute(number)
    if index is None:
        return []
    wanted = normalize.digits(number)
    return [
        person
        for person in access.visible_people(viewer).filter(citizen_id_index=index).order_by("pk")
        if normalize.digits(person.citizen_id) == wanted
    ]


def imports_of(*, viewer: access.AnyUser, limit: int = 20) -> list[RegisterImport]:
    """Return the viewer's own latest imports (nobody sees another person's imports)."""
    return list(
        RegisterImport.objects.filter(created_by_id=viewer.pk).order_by("-created_at")[:limit]
    )


def import_for_user(*, viewer: access.AnyUser, import_id: Any) -> RegisterImport:
    """Return the viewer's own import, else record the denial and answer 404."""
    found = RegisterImport.objects.filter(pk=import_id, created_by_id=viewer.pk).first()
    if found is None:
        access.deny(
            viewer, "registerimport.view", object_type="registerimport", object_id=import_id
        )
        raise Http404
    return found
