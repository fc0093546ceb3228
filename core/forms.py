"""Form pieces every app shares: dd/mm/yyyy date fields and translated blank choices."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Typed by hand: 05/03/2026, 5-3-2026, 05.03.2026; ISO (2026-03-05) from older links and tests.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATE_DISPLAY_FORMAT = "%d/%m/%Y"
BLANK_DASHES = "---------"


class DateInput(forms.DateInput):
    """A text box showing dd/mm/yyyy: typed the same way on every phone and browser."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_DISPLAY_FORMAT)


class DateField(forms.DateField):
    """A date typed as dd/mm/yyyy (or ISO); years before 1900 are refused as typos."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {"invalid": _("Enter a date as dd/mm/yyyy, e.g. 05/03/2026.")}

    def to_python(self, value: Any) -> datetime.date | None:
        date = super().to_python(value)
        if date is not None and date.year < 1900:
            raise ValidationError(_("Enter a date after 1900."), code="too_old")
        return date


def not_in_future(value: datetime.date | None) -> None:
    """Refuse a date after today (a start, a close, a birth)."""
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


def _is_django_blank(label: object) -> bool:
    return str(label) in (BLANK_DASHES, str(BLANK_CHOICE_LABEL))


def translate_blank_choices(form: forms.BaseForm) -> None:
    """Replace Django's blank choice ("---------", "- Select an option -") with our prompt."""
    prompt = _("— Choose —")
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None and _is_django_blank(field.empty_label):
                field.empty_label = prompt
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)  # type: ignore[arg-type]
            if choices and choices[0][0] == "" and _is_django_blank(choices[0][1]):
                field.choices = [("", prompt), *choices[1:]]


class VersionField(forms.Form):
    """The version an edit form was opened at (core.editing refuses a lost update)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def opened_version(self, instance: Any) -> int:
        """Return the version the user opened (the instance's own for a fresh form)."""
        opened: int | None = self.cleaned_data.get("version")
        return opened if opened is not None else int(instance.version)
