"""The auditor's event filters."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import normalize
from core.forms import DateField, translate_blank_choices

from . import registry

_SHORT_CODE = re.compile(r"^[0-9a-fA-F]{8}$")


class PersonCode:
    """A person as the auditor typed them: the full record id, or the 8-character code."""

    def __init__(self, *, full: uuid.UUID | None = None, prefix: str = "") -> None:
        self.full, self.prefix = full, prefix.lower()

    def __str__(self) -> str:
        return str(self.full) if self.full else self.prefix.upper()

    def bounds(self) -> tuple[uuid.UUID, uuid.UUID]:
        """Return the lowest and highest record ids that begin with the code."""
        if self.full is not None:
            return self.full, self.full
        return uuid.UUID(self.prefix + "0" * 24), uuid.UUID(self.prefix + "f" * 24)


class PersonCodeField(forms.CharField):
    def to_python(self, value: Any) -> PersonCode | None:  # type: ignore[override]
        text = str(super().to_python(value)).strip().replace(" ", "")
        if not text:
            return None
        if _SHORT_CODE.match(text):
            return PersonCode(prefix=text)
        try:
            return PersonCode(full=uuid.UUID(text))
        except ValueError:
            raise ValidationError(
                _("Enter the 8-character record code (e.g. 3F90A1B2) or the full record id."),
                code="invalid",
            ) from None


class EventFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    # No help text: the filters sit in one compact row; the placeholder shows the form.
    person = PersonCodeField(
        label=_("Person (record code)"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "maxlength": 40,
                "autocomplete": "off",
                "placeholder": "3F90A1B2",
                "title": _(
                    "The 8-character record code shown on every page, or the full record id."
                ),
            }
        ),
    )
    # The organisations come from the app that owns them (audit sits below it).
    organisation = forms.TypedChoiceField(
        label=_("Organisation"),
        required=False,
        coerce=uuid.UUID,
        empty_value=None,
        choices=lambda: [("", "---------"), *registry.organisation_choices()],
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=lambda: [("", _("All")), ("reads", _("Record reads")), *registry.choices()],
    )
    since = DateField(label=_("From"), required=False)
    until = DateField(label=_("To"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_blank_choices(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}

        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any] | None:
        """Return the cleaned filters that were given; None when a filter is invalid, so
        that nothing is listed or exported under a filter the auditor did not mean."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class CitizenIdLookupForm(forms.Form):
    """Start "who saw this person" from a citizen ID: sent by POST, so no number is in a URL."""

    citizen_id = forms.CharField(
        label=_("Citizen ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_citizen_id(self) -> str:
        number = normalize.digits(self.cleaned_data["citizen_id"])
        if len(number) not in (9, 12):
            # Text without digits ("không rõ", "%") must never match everyone who has none.
            raise ValidationError(
                _("Enter the 12-digit citizen ID number or the 9-digit old ID number."),
                code="invalid",
            )
        return number
