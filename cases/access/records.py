"""The rows of any scoped model a user may see, and which person a record concerns."""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.capabilities import Capability, Scope

from ..models import (
    Case,
    FamilyLink,
    Person,
)
from .parts import limit_to_parts
from .paths import _scope_target, is_scoped, scope_path
from .reach import AnyUser
from .rules import visible_cases, visible_people


def visible[M: models.Model](user: AnyUser, model: type[M], scope: Scope = "view") -> QuerySet[M]:
    """Return the rows of a scoped model the user may view (or change)."""
    if model is Person:
        return cast(QuerySet[M], visible_people(user, scope))
    if model is Case:
        return cast(QuerySet[M], visible_cases(user, scope))
    target = _scope_target(model)
    owners = visible_people(user, scope) if target is Person else visible_cases(user, scope)
    path = scope_path(model)
    rows: QuerySet[M] = model._default_manager.all()
    return limit_to_parts(user, model, rows.filter(Exists(owners.filter(pk=OuterRef(path)))))


def people_and_cases_of(person_ids: list[Any]) -> tuple[set[Any], list[Any]]:
    """Return these people with their relatives (family links, either way: a relative
    registered without a case is seen through the person, D42) and all their cases, seen by
    the caller or not: what sync walks and sweeps again when these people come or go, each
    then checked through ``visible`` (D59)."""
    people = set(person_ids)
    links = FamilyLink.objects.filter(Q(person_id__in=person_ids) | Q(relative_id__in=person_ids))
    for pair in links.values_list("person_id", "relative_id"):
        people |= set(pair)
    cases = list(Case.objects.filter(person_id__in=people).values_list("pk", flat=True))
    return people, cases


def people_of_cases(case_ids: list[Any]) -> list[Any]:
    """Return the ids of the people these cases are of, seen by the caller or not: sync
    follows a case coming into or out of view through its person (D59)."""
    return list(Case.objects.filter(pk__in=case_ids).values_list("person_id", flat=True))


def person_id_of(obj: Any) -> Any:
    """Return the id of the person a scoped record concerns (for the audit trail), or None."""
    if isinstance(obj, Person):
        return obj.pk
    if isinstance(obj, Case):
        return obj.person_id
    if not isinstance(obj, models.Model) or not is_scoped(type(obj)):
        return None
    path = scope_path(type(obj))
    if "__" not in path:  # a direct foreign key: no query for a person, one for a case
        owner = getattr(obj, path)
        return owner.pk if isinstance(owner, Person) else getattr(owner, "person_id", None)
    column = path if _scope_target(type(obj)) is Person else f"{path}__person"
    return type(obj)._default_manager.filter(pk=obj.pk).values_list(column, flat=True).first()


def in_scope(user: AnyUser, capability: Capability, obj: Any) -> bool | None:
    """Answer ``can(user, capability, obj)`` for scoped records (None for other objects)."""
    if not isinstance(obj, models.Model) or not is_scoped(type(obj)) or obj.pk is None:
        return None
    return visible(user, type(obj), capability.scope).filter(pk=obj.pk).exists()
