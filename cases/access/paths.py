"""Which person or case scopes a record: the foreign-key path from any model to one."""

from __future__ import annotations

from django.db import models

from ..models import (
    Case,
    Person,
)


def scope_path(model: type[models.Model]) -> str:
    """Return the foreign-key path from a model to the Person or Case that scopes it.

    People and cases scope themselves (""). Another model names its path in a class
    attribute ``scope_through`` (e.g. ``"episode__case"``), or has a foreign key to Case
    (preferred) or Person, which is used. A model with neither is not scoped here.
    """
    if model in (Person, Case):
        return ""
    declared = getattr(model, "scope_through", None)
    if declared:
        return str(declared)
    for target in (Case, Person):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is target:
                return field.name
    raise TypeError(f"{model._meta.label} hangs off neither a person nor a case")


def _scope_target(model: type[models.Model]) -> type[Person] | type[Case]:
    """Return Person or Case: where ``scope_path(model)`` ends."""
    if model is Person or model is Case:
        return model
    current: type[models.Model] = model
    for step in scope_path(model).split("__"):
        related = current._meta.get_field(step).related_model
        assert isinstance(related, type)  # noqa: S101  (a path of foreign keys)
        current = related
    if current not in (Person, Case):
        raise TypeError(f"{model._meta.label}.scope_through does not end at Person or Case")
    return current


def is_scoped(model: type[models.Model]) -> bool:
    """Return whether access to the model's rows is decided here."""
    try:
        _scope_target(model)
    except TypeError:
        return False
    return True
