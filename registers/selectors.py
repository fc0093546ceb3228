"""Reads of the import: people the importer may see who may be a file's person."""

from __future__ import annotations

from cases import access
from cases.models import Person
from cases.selectors import possible_duplicates as possible_duplicates
from core import normalize
from core.fields import BlindIndexField


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
