"""Reads of the import: people the importer may see who may be a file's person."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from audit.reads import record_read
from cases import access
from cases.events import CaseAction
from cases.models import Person
from cases.selectors import DUPLICATES_SHOWN
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


def _index(field_name: str, *values: Any) -> int | None:
    field = Person._meta.get_field(field_name)
    assert isinstance(field, BlindIndexField)  # noqa: S101
    return field.compute(*values)


def candidate_people(
    *, viewer: access.AnyUser, entries: list[tuple[str, dict[str, Any]]]
) -> dict[str, list[tuple[Person, str]]]:
    """Return, per person number of the file, whom they may be among the people the viewer
    may see, with why: ``citizen_id_matches`` and ``possible_duplicates`` for a batch of
    the file's people at once (two queries, D44), with the same rules and the same order.

    ``entries`` are (person number, checked values). Whom the answer shows is recorded in
    one search event, as ``possible_duplicates`` records its own.
    """
    numbers = {key: normalize.digits(v["so_cccd"] or "") for key, v in entries}
    id_keys = {_index("citizen_id_index", n) for n in numbers.values() if n} - {None}
    name_keys = {_index("name_year_index", v["ho_ten"], v["nam_sinh"]) for _k, v in entries}
    visible = access.visible_people(viewer).select_related("residence_commune").order_by("pk")
    holders = list(visible.filter(citizen_id_index__in=id_keys)) if id_keys else []
    namesakes = list(visible.filter(name_year_index__in=name_keys - {None}))
    found: dict[str, list[tuple[Person, str]]] = {}
    shown: set[str] = set()
    for key, values in entries:
        typed = numbers[key]
        mine: list[tuple[Person, str]] = [
            (p, "citizen_id")
            for p in holders
            if typed and normalize.digits(p.citizen_id or "") == typed
        ]
        known = {p.pk for p, _r in mine}
        wanted = normalize.fold_text(values["ho_ten"])
        matches = [
            p
            for p in namesakes
            if p.birth_year == values["nam_sinh"]
            and p.sex == values["gioi_tinh"]
            and normalize.fold_text(p.full_name) == wanted
            and not (typed and p.citizen_id and normalize.digits(p.citizen_id) != typed)
        ]
        commune = values["xa_cu_tru"].pk
        matches.sort(key=lambda p: p.residence_commune_id != commune)
        matches = matches[:DUPLICATES_SHOWN]
        shown.update(str(p.pk) for p in matches)
        for p in matches:
            if p.pk not in known:
                same = p.residence_commune_id == commune
                mine.append((p, "name_year_commune" if same else "name_year"))
        found[key] = mine
    if shown:
        record_read(
            actor=viewer,
            action=CaseAction.SEARCH,
            detail={"kind": "registration", "found": len(shown), "people": sorted(shown)},
        )
    return found
