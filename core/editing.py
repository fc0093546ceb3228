"""Versions of editable records and the conflict a lost update raises, with the form merge.

Each editable record type carries a version counter (``Versioned``). An edit form carries the
version it was opened at; the one save step (``audit.editing.save_edit``, which records the
event and so sits above core) compares it with the row's version under a row lock, so when
two people edit the same record the second save is refused (``EditConflict``) instead of
silently writing over the first; this module rebuilds the form after such a refusal.

Actions called from code (imports, transfers) say what they want: ``if_version=OVERRIDE``
writes whatever the row holds now; an int refuses a changed row like a form does.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _


class _Override:
    def __repr__(self) -> str:
        return "OVERRIDE"


OVERRIDE: Final = _Override()
IfVersion = int | _Override


class Versioned(models.Model):
    """Abstract base: a counter raised by one on every save through ``save_edit``."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class EditConflict(ValidationError):
    """The row changed since the form was opened; ``current`` is the row as it is now."""

    def __init__(self, current: models.Model, opened_version: int) -> None:
        super().__init__(
            _(
                "Someone else saved this record while you were editing it. Your changes "
                "have not been saved yet: check what they changed, listed above, then save again."
            ),
            code="edit_conflict",
        )
        self.current = current
        self.opened_version = opened_version


@dataclass(frozen=True)
class TheirChange:
    """A field another person changed while this user was editing."""

    label: str
    theirs: str
    clashes: bool  # this user changed the same field: their value is kept in the form


def _normal(field: forms.Field, value: Any) -> Any:
    """Return a value as the field understands it, so that equal values compare equal.

    A stored value and a typed one differ in form (a date kept as ISO text against a date
    typed dd/mm/yyyy, a related row against its id, text with spaces): both go through the
    field's own parsing; what it cannot parse is compared as it is.
    """
    if isinstance(field, forms.ModelChoiceField):
        key = getattr(value, "pk", value)
        return None if key in (None, "") else str(key)
    try:
        parsed = field.to_python(field.prepare_value(value))
    except ValidationError:
        parsed = value
    if isinstance(field, forms.BooleanField):
        return bool(parsed)
    return None if parsed in (None, "", [], ()) else parsed


def _shown(field: forms.Field, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(field, forms.ModelChoiceField):
        choices: Any = field.queryset
        return str(choices.filter(pk=value).first() or value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")  # dates are shown dd/mm/yyyy in both languages
    return str(value)


def merge_after_conflict(
    form: forms.ModelForm,  # type: ignore[type-arg]
    conflict: EditConflict,
    opened: models.Model | None,
) -> tuple[QueryDict, list[TheirChange]]:
    """Return form data that keeps this user's changes and takes the other person's
    elsewhere (at the current version), and the list of the other person's changes.

    ``opened`` is the record as the user opened it (its history row at that version). A
    field is listed when the other person changed it; it clashes only when this user changed
    it too, to another value. Values are compared as the field parses them (dates as dates).
    """
    editable = set(form._meta.fields or ())
    names = [n for n in form.fields if n != "version" and n in editable]
    current = model_to_dict(conflict.current, fields=names)
    base = model_to_dict(opened, fields=names) if opened is not None else current
    typed = getattr(form, "cleaned_data", {})
    data: QueryDict = form.data.copy()  # type: ignore[attr-defined]
    changes: list[TheirChange] = []
    for name in names:
        field = form.fields[name]
        before, theirs = _normal(field, base.get(name)), _normal(field, current.get(name))
        if theirs == before:
            continue  # the other person did not change this field
        if name in typed:
            mine = _normal(field, typed[name])
        else:
            mine = _normal(field, field.widget.value_from_datadict(data, {}, form.add_prefix(name)))
        clashes = mine not in (before, theirs)
        if mine == before:
            value = field.prepare_value(theirs)
            if isinstance(value, datetime.date):
                # As the form's own widget shows a date (dd/mm/yyyy), not Python's ISO form.
                value = field.widget.format_value(value)
            if isinstance(field, forms.BooleanField):
                data.pop(form.add_prefix(name), None)
                if theirs:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = "" if value is None else str(value)
        changes.append(TheirChange(str(field.label), _shown(field, theirs), clashes))
    data["version"] = str(getattr(conflict.current, "version", ""))
    return data, changes


def form_after_conflict[F: forms.ModelForm](  # type: ignore[type-arg]
    form: F, conflict: EditConflict, rebuild: Callable[[QueryDict, Any], F]
) -> tuple[F, list[TheirChange]]:
    """Rebuild an edit form after a refused save: this user's input kept, the other person's
    changes merged in, at the current version, with the conflict as its error.

    ``rebuild(data, current)`` makes the form again for the record as it is now. The record
    as the user opened it is its history row at the opened version (values are decrypted for
    display: call only for a record the user may change).
    """
    current: Any = conflict.current
    opened = (
        current.history.filter(version=conflict.opened_version).order_by("-history_date").first()
    )
    data, changes = merge_after_conflict(form, conflict, opened)
    merged = rebuild(data, current)
    merged.is_valid()
    merged.add_error(None, conflict)
    return merged, changes
