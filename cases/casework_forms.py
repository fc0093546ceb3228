"""The forms of casework (D42): a contact note, a family link or a new family member."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import normalize
from core.fields import NAME_MAX
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices

from .actions import PersonData
from .choices import Sex
from .citizen_id import validate_citizen_id
from .models import ContactNote, Person, Relation


class ContactNoteForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    """A contact note: short enough to write on a phone right after the contact."""

    class Meta:
        model = ContactNote
        fields = ["kind", "contacted_on", "contacted_time", "duration_minutes", "present", "text"]
        field_classes = {"contacted_on": DateField}
        widgets = {
            "contacted_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "duration_minutes": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
            "present": forms.TextInput(attrs={"autocomplete": "off"}),
            "text": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"present": _("For example: the client, his mother, the commune officer.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacted_on"].validators.append(not_in_future)
        self.fields["duration_minutes"].validators.append(_within_a_day)
        if self.instance._state.adding:
            # Today, unless the page says otherwise (the instance's None is no choice).
            self.initial["contacted_on"] = self.initial.get("contacted_on") or timezone.localdate()
        else:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)


def _within_a_day(value: int | None) -> None:
    if value is not None and not 1 <= value <= 24 * 60:
        raise ValidationError(_("Enter a duration between 1 and 1440 minutes."))


class FamilyForm(forms.Form):
    """Link a family member: someone already on file (by citizen ID number) or a new
    person registered without a case."""

    relation = forms.ChoiceField(label=_("The family member is the person's"), choices=Relation)
    contact = forms.BooleanField(
        label=_("Contact person (for a minor or a person in treatment)"), required=False
    )
    citizen_id = forms.CharField(
        label=_("Citizen ID number of someone already on file"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Leave empty to register a new family member below."),
    )
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=NAME_MAX)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", ""), *Sex.choices])
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        translate_blank_choices(self)

    def clean_citizen_id(self) -> str:
        number = normalize.digits(self.cleaned_data.get("citizen_id", ""))
        if number:
            validate_citizen_id(number)
        return number

    def clean_birth_year(self) -> int | None:
        year: int | None = self.cleaned_data.get("birth_year")
        if year is not None and not 1900 <= year <= timezone.localdate().year:
            raise ValidationError(_("Enter a year between 1900 and this year."))
        return year

    def clean_phone(self) -> str:
        number = normalize.phone(self.cleaned_data.get("phone", ""))
        if number and not (number.startswith("0") and 10 <= len(number) <= 11):
            raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912 345 678."))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("citizen_id") or self.errors.get("citizen_id"):
            return data
        for name in ("full_name", "sex", "birth_year"):
            if name not in self.errors and not data.get(name):
                self.add_error(
                    name, _("Needed to register a new family member (or give a citizen ID).")
                )
        return data

    def new_person(self) -> PersonData:
        """Return the new family member's facts (they live where the person lives)."""
        data = self.cleaned_data
        return PersonData(
            full_name=data["full_name"].strip(),
            sex=data["sex"],
            birth_year=data["birth_year"],
            phone=data["phone"],
            residence_commune=self.person.residence_commune,
        )
