"""Forms for people and cases; choice lists come from cases.access."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import normalize

from . import access
from .actions import CaseData, PersonData
from .choices import UnitLevel
from .citizen_id import validate_citizen_id
from .models import AdministrativeUnit, Case, Organisation, Person

User = get_user_model()


class SearchForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Search by"),
        choices=[
            ("citizen_id", _("Citizen ID number")),
            ("phone", _("Phone")),
            ("name", _("Full name")),
        ],
    )
    q = forms.CharField(label=_("Value"), max_length=200)
    birth_year = forms.IntegerField(
        label=_("Year of birth (optional)"), required=False, min_value=1900, max_value=2100
    )


class VersionField(forms.Form):
    """The version an edit form was opened at (core.editing refuses a lost update)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def opened_version(self, instance: Any) -> int:
        """Return the version the user opened (the instance's own for a fresh form)."""
        opened: int | None = self.cleaned_data.get("version")
        return opened if opened is not None else int(instance.version)


class PersonForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    birth_date = forms.DateField(
        label=_("Date of birth (if known)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Person
        fields = [
            "full_name", "aliases", "citizen_id", "sex", "birth_year", "birth_date",
            "ethnicity", "phone", "residence_commune", "address", "family_contact",
        ]  # fmt: skip
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "aliases": forms.TextInput(attrs={"autocomplete": "off"}),
            "citizen_id": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20}
            ),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "family_contact": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "citizen_id": _("12 digits, as printed on the citizen identity card."),
            "aliases": _("Other names the person is known by, separated by commas."),
        }

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            if self.instance.birth_date:
                self.initial["birth_date"] = self.instance.birth_date
        communes = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, is_active=True)
        profile = access.profile_of(user)
        if profile is not None:
            # The province the user works in: the first segment of their scope's path.
            province_path = "/" + profile.scope_unit.path.split("/")[1] + "/"
            communes = communes.filter(path__startswith=province_path)
        self.fields["residence_commune"].queryset = communes  # type: ignore[attr-defined]
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})

    def clean_birth_year(self) -> int:
        year: int = self.cleaned_data["birth_year"]
        if not 1900 <= year <= timezone.localdate().year:
            raise ValidationError(_("Enter a year between 1900 and this year."))
        return year

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data.get("phone", "")
        if not raw:
            return ""
        number = normalize.phone(raw)
        if not (number.startswith("0") and 10 <= len(number) <= 11):
            raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912 345 678."))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sex, year = data.get("sex"), data.get("birth_year")
        raw_id = data.get("citizen_id") or ""
        if raw_id:
            try:
                number = validate_citizen_id(raw_id, sex=sex, birth_year=year)
            except ValidationError as error:
                self.add_error("citizen_id", error)
            else:
                data["citizen_id"] = number
        birth_date: datetime.date | None = data.get("birth_date")
        if birth_date and year and birth_date.year != year:
            self.add_error("birth_date", _("The date of birth does not match the year of birth."))
        data["birth_date"] = birth_date.isoformat() if birth_date else ""
        return data

    def to_data(self) -> PersonData:
        """Return the cleaned input as the action's typed argument (every field, or an error)."""
        values = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return PersonData(**values)


class CaseForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Case
        fields = [
            "category", "managed_record", "status", "opened_on", "closed_on",
            "organisation", "assigned_to", "notes",
        ]  # fmt: skip
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = Q(pk__in=access.case_organisations(user).values("pk"))
        if self.instance.pk:
            # Keep the current holder selectable even when it is not the editor's organisation.
            allowed |= Q(pk=self.instance.organisation_id)
        organisations = Organisation.objects.filter(allowed)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["assigned_to"].queryset = access.assignable_staff(  # type: ignore[attr-defined]
            organisations
        )
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
        else:
            self.initial.setdefault("opened_on", timezone.localdate())
            first = organisations.first()
            if first is not None:
                self.initial.setdefault("organisation", first.pk)

    def to_data(self) -> CaseData:
        """Return the cleaned input as the action's typed argument (every field, or an error)."""
        values = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return CaseData(**values)


class EmergencyAccessForm(forms.Form):
    citizen_id = forms.CharField(
        label=_("Citizen ID number"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you need this record now. Your reason is recorded and reviewed."),
    )


class EmergencyReviewForm(forms.Form):
    justified = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Justified")), ("no", _("Not justified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
