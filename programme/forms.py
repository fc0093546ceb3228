"""Forms of courses, attendees, volunteers, activities and planned activities: unit, staff
and plan choices come from the writer's area (``programme.selectors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser
from core.forms import DateField, VersionField, translate_blank_choices

from . import selectors
from .models import Activity, Attendance, Course, PlannedActivity, Volunteer

NUMBER = {"inputmode": "numeric", "min": "0"}


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateField):
        return db_field.formfield(form_class=DateField, **kwargs)
    return db_field.formfield(**kwargs)


def _unit_label(unit: Any) -> str:
    return f"{unit.name} ({unit.get_level_display()})"


class _Versioned(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    def _finish(self, units: dict[str, Any]) -> None:
        for name, queryset in units.items():
            field: Any = self.fields[name]
            field.queryset = queryset
            field.label_from_instance = _unit_label
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)


class CourseForm(_Versioned):
    class Meta:
        model = Course
        fields = [
            "title",
            "topic",
            "audience",
            "organiser",
            "unit",
            "place",
            "starts_on",
            "ends_on",
        ]
        formfield_callback = _formfield

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic: Any = self.fields["topic"]
        topic.queryset = selectors.topics()
        self._finish({"unit": selectors.units_for(user)})


class VolunteerForm(_Versioned):
    class Meta:
        model = Volunteer
        fields = ["name", "unit", "organisation", "registered_on", "left_on"]
        formfield_callback = _formfield
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._finish({"unit": selectors.units_for(user)})


class AttendeeForm(forms.ModelForm):  # type: ignore[type-arg]
    """One attendee: a staff account, a registered volunteer, or a name typed in."""

    class Meta:
        model = Attendance
        fields = ["user", "volunteer", "name", "role", "unit", "organisation"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"})}
        help_texts = {
            "user": _("A staff member with an account; leave the name empty."),
            "volunteer": _("A registered volunteer; leave the name empty."),
            "name": _(
                "Someone without an account (a counselling point's staff, a family caregiver)."
            ),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff: Any = self.fields["user"]
        staff.queryset = selectors.staff_for(user)
        staff.label_from_instance = lambda u: u.get_full_name() or u.get_username()
        volunteer: Any = self.fields["volunteer"]
        volunteer.queryset = selectors.volunteers_for(user, "change").filter(left_on__isnull=True)
        volunteer.label_from_instance = lambda v: f"{v.name} ({v.unit.name})"
        unit: Any = self.fields["unit"]
        unit.queryset = selectors.units_for(user)
        unit.label_from_instance = _unit_label
        translate_blank_choices(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [bool(data.get("user")), bool(data.get("volunteer")), bool(data.get("name"))]
        if sum(given) != 1:
            raise forms.ValidationError(
                _("Choose a staff account, a registered volunteer, or type the person's name.")
            )
        return data


class ActivityForm(_Versioned):
    class Meta:
        model = Activity
        fields = [
            "kind",
            "held_on",
            "commune",
            "organiser",
            "male",
            "female",
            "age_0_17",
            "age_18_24",
            "age_25_34",
            "age_35_44",
            "age_45_plus",
            "leaflets",
            "posters",
            "booklets",
            "other_materials",
            "notes",
        ]
        formfield_callback = _formfield
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField) and field is not self.fields["version"]:
                field.widget.attrs.update(NUMBER)
        self._finish({"commune": selectors.communes_for(user)})


class PlannedActivityForm(_Versioned):
    class Meta:
        model = PlannedActivity
        fields = ["plan", "unit", "kind", "quantity", "starts_on", "ends_on", "clause"]
        formfield_callback = _formfield
        help_texts = {"clause": _("For example II.1.1.")}

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan: Any = self.fields["plan"]
        plan.queryset = selectors.plans_for(user)
        plan.label_from_instance = lambda p: f"{p.number} — {p.unit.name}"
        self.fields["quantity"].widget.attrs.update(NUMBER)
        self._finish({"unit": selectors.units_for(user)})
