"""Forms of methadone work: a prescription, a day's dose from the clinic's list, a correction.

The episode and the dose come from the URL (through cases.access), never from input.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import access
from cases.models import Organisation
from core.fields import NOTE_MAX
from core.forms import DateField, translate_blank_choices
from services.models import TreatmentEpisode

from .capabilities import PRESCRIPTION_RECORD
from .models import SPLIT_CHOICES, DoseKind, Prescription

# How far ahead a prescription may start (a maintenance order covers about a month).
AHEAD = datetime.timedelta(days=31)
DOSE_FIELD = {
    "max_digits": 5,
    "decimal_places": 1,
    "min_value": Decimal("0.1"),
    "max_value": Decimal("999.9"),
}


class PrescriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new dose order; the override reason is asked for when a guideline rule is broken."""

    starts_on = DateField(label=_("In force from"))
    dose_mg = forms.DecimalField(label=_("Daily dose (mg)"), **DOSE_FIELD)  # type: ignore[arg-type]
    take_home_days = forms.IntegerField(
        label=_("Take-home days allowed"), min_value=0, max_value=31, initial=0
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the guideline"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed only when the prescription breaks a rule of the guideline."),
    )

    split_parts = forms.TypedChoiceField(
        label=_("Daily dose split into"), coerce=int, required=False, initial=1,
        empty_value=1,  # type: ignore[arg-type]  # a blank choice is the whole dose at once
        choices=SPLIT_CHOICES,
        help_text=_("Only when the daily dose is given in equal parts (the counter may then "
                    "give one part)."),
    )  # fmt: skip

    class Meta:
        model = Prescription
        fields = [
            "starts_on",
            "dose_mg",
            "phase",
            "take_home_days",
            "split_parts",
            "prescriber",
            "reason",
        ]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, episode: TreatmentEpisode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode = episode
        staff = access.assignable_staff(Organisation.objects.filter(pk=episode.provider_id))
        prescribers = [u.pk for u in staff if _may_prescribe(u)]
        field: Any = self.fields["prescriber"]
        field.queryset = staff.filter(pk__in=prescribers)
        field.label_from_instance = lambda u: str(u.display_name or u.username)
        self.fields["prescriber"].required = False
        self.fields["prescriber"].help_text = _("Leave blank: you are the prescriber.")
        self.initial.setdefault("starts_on", timezone.localdate())
        translate_blank_choices(self)

    def clean_starts_on(self) -> Any:
        day = self.cleaned_data["starts_on"]
        if day is not None and day < self.episode.started_on:
            raise forms.ValidationError(_("This day is before the start of the treatment."))
        if day is not None and day > timezone.localdate() + AHEAD:
            raise forms.ValidationError(
                _("A prescription can be written at most %(days)s days ahead.")
                % {"days": AHEAD.days}
            )
        return day

    def validate_unique(self) -> None:
        """Leave a second order of the same day to the action: it changes that day's order."""


def _may_prescribe(user: access.AnyUser) -> bool:
    from accounts.capabilities import can

    return can(user, PRESCRIPTION_RECORD)


class DoseForm(forms.Form):
    """One tap of the clinic's list: observed, take-home or did not come (with the amount).

    ``part``: the button of one documented part of a split dose (observed, that amount);
    ``acknowledged``: the box the nurse ticks after assessing a patient back from missed days.
    """

    kind = forms.TypedChoiceField(
        label=_("Dose"), choices=DoseKind.choices, coerce=int, required=False
    )
    dose_mg = forms.DecimalField(label=_("Dose (mg)"), required=False, **DOSE_FIELD)  # type: ignore[arg-type]
    part = forms.DecimalField(label=_("Part of the dose (mg)"), required=False, **DOSE_FIELD)  # type: ignore[arg-type]
    day = DateField(label=_("Day"), required=False)
    acknowledged = forms.BooleanField(label=_("Patient assessed"), required=False)

    def clean_day(self) -> Any:
        return self.cleaned_data.get("day") or timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("part"):
            data["kind"], data["dose_mg"] = DoseKind.OBSERVED, data["part"]
        elif not data.get("kind") and "kind" not in self.errors:
            self.add_error("kind", _("Choose observed, take-home or did not come."))
        return data


class DoseOverrideForm(forms.Form):
    """A prescriber's dose for one patient and one day, and why."""

    day = DateField(label=_("Day"))
    dose_mg = forms.DecimalField(label=_("Dose for that day (mg)"), **DOSE_FIELD)  # type: ignore[arg-type]
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: restart after missed days, reduced dose after missed days."),
    )


class CorrectionForm(forms.Form):
    """A correction of a recorded dose: the new value and why."""

    kind = forms.TypedChoiceField(label=_("Dose"), choices=DoseKind.choices, coerce=int)
    dose_mg = forms.DecimalField(label=_("Dose (mg)"), required=False, **DOSE_FIELD)  # type: ignore[arg-type]
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        taken = data.get("kind") in (DoseKind.OBSERVED, DoseKind.TAKE_HOME)
        if taken and not data.get("dose_mg") and "dose_mg" not in self.errors:
            self.add_error("dose_mg", _("Enter the dose given."))
        return data
