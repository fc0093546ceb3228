"""Forms of the facility registry: organisations and communes come from the writer's area,
the review's questions from the checklist version it answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser
from core.forms import DateField, VersionField, not_in_future, translate_blank_choices
from services.models import ServiceType

from . import selectors
from .actions import Answer
from .models import ChecklistItem, ChecklistVersion, ConditionReview, FacilityProfile, ItemResult

PROFILE_FIELDS = [
    "commune",
    "address",
    "phone",
    "opening_hours",
    "opening_hours_en",
    "capacity",
    "capacity_unit",
    "services_other",
    "eligibility",
    "licence_number",
    "licence_date",
    "published",
]


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateField):
        return db_field.formfield(form_class=DateField, **kwargs)
    return db_field.formfield(**kwargs)


class ProfileForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    # Not a model field of the form: the action sets the many-to-many itself, and a version
    # conflict's merge (core.editing) compares the model's own columns only.
    services = forms.ModelMultipleChoiceField(
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Services offered"),
    )
    field_order = ["organisation", *PROFILE_FIELDS[:7], "services", *PROFILE_FIELDS[7:]]

    class Meta:
        model = FacilityProfile
        fields = ["organisation", *PROFILE_FIELDS]
        formfield_callback = _formfield
        widgets = {
            "services_other": forms.Textarea(attrs={"rows": 3}),
            "eligibility": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        if adding:
            organisation: Any = self.fields["organisation"]
            organisation.queryset = selectors.organisations_to_profile(user)
        else:
            del self.fields["organisation"]
            self.initial.setdefault("version", self.instance.version)
        chosen = None if adding else self.instance.organisation
        commune: Any = self.fields["commune"]
        commune.queryset = selectors.communes_of(chosen, user)
        if not adding:
            offered = self.instance.services.values_list("pk", flat=True)
            self.initial.setdefault("services", list(offered))
        services: Any = self.fields["services"]
        services.queryset = ServiceType.objects.filter(is_active=True).order_by("order", "code")
        services.label_from_instance = lambda s: s.name_vi
        capacity: Any = self.fields["capacity"]
        capacity.widget.attrs.update({"inputmode": "numeric"})
        capacity.help_text = _("Leave empty when not known; 0 when nobody stays there.")
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        translate_blank_choices(self)


def _item_field(item: ChecklistItem) -> str:
    return f"item_{item.number}"


def _note_field(item: ChecklistItem) -> str:
    return f"note_{item.number}"


class ReviewForm(forms.ModelForm):  # type: ignore[type-arg]
    """A review: its date, reviewers, a result per checklist item, the overall result and
    the actions to take."""

    class Meta:
        model = ConditionReview
        fields = ["reviewed_on", "reviewer", "overall", "actions"]
        formfield_callback = _formfield
        widgets = {
            "overall": forms.RadioSelect,
            "actions": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, checklist: ChecklistVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.checklist = checklist
        reviewed_on: Any = self.fields["reviewed_on"]
        reviewed_on.validators.append(not_in_future)
        overall: Any = self.fields["overall"]
        overall.choices = [c for c in overall.choices if c[0]]
        self.items = list(checklist.items.order_by("order", "number"))
        for item in self.items:
            self.fields[_item_field(item)] = forms.ChoiceField(
                label=f"{item.number}. {item.text}",
                choices=ItemResult.choices,
                widget=forms.RadioSelect,
            )
            self.fields[_note_field(item)] = forms.CharField(
                label=_("Note on %(number)s") % {"number": item.number},
                required=False,
                max_length=500,
            )
        translate_blank_choices(self)

    def item_rows(self) -> list[tuple[ChecklistItem, Any, Any]]:
        """Return each checklist item with its result and note fields, for the template."""
        return [(i, self[_item_field(i)], self[_note_field(i)]) for i in self.items]

    def answers(self) -> list[Answer]:
        """Return the answers of a valid form."""
        return [
            Answer(
                item=item,
                result=self.cleaned_data[_item_field(item)],
                note=self.cleaned_data.get(_note_field(item), ""),
            )
            for item in self.items
        ]
