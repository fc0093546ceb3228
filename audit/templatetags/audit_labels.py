"""Show the audit log's stored codes (object types, search kinds) as words, never as code."""

from __future__ import annotations

from functools import cache

from django import template
from django.apps import apps
from django.db.models import Model
from django.utils.translation import gettext as _

register = template.Library()


@cache
def _model_names() -> dict[str, type[Model]]:
    return {model._meta.model_name or "": model for model in apps.get_models()}


@register.filter
def object_type_label(code: str) -> str:
    """Return the translated name of the kind of record an event names."""
    model = _model_names().get(code)
    return str(model._meta.verbose_name) if model is not None else code


@register.filter
def search_kind_label(code: str) -> str:
    """Return what a search looked for, in words."""
    labels = {
        "citizen_id": _("by citizen ID number"),
        "old_id_number": _("by old identity card number"),
        "phone": _("by phone"),
        "name": _("by name"),
        "duplicate_citizen_id": _("citizen ID number already on file?"),
        "emergency_citizen_id": _("emergency access lookup"),
    }
    return labels.get(code, code)


@register.filter
def change_label(code: str) -> str:
    """Return what an event's change did (a holiday added, a grant kept), in words."""
    labels = {
        "added": _("added"),
        "changed": _("changed"),
        "deleted": _("deleted"),
        "given": _("given"),
        "removed": _("removed"),
        "kept": _("kept"),
        "shortened": _("shortened"),
    }
    return labels.get(code, code)
