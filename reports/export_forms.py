"""The form of the figures report page (/figures/report/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import AdministrativeUnit, Reorganisation
from core.forms import DateField

from . import registry, tables
from .export import LabelledPeriod, periods_for
from .filters import CUSTOM_PERIOD_HELP, MAP_CHOICES


class ReportForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    period_kind = forms.ChoiceField(
        label=_("Period"),
        choices=[("half_year", _("Half-year")), ("year", _("Year")), ("custom", _("Custom"))],
        initial="half_year",
        widget=forms.RadioSelect,
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    # Only a half-year needs it (checked in clean): a year or a custom period has no half.
    half = forms.TypedChoiceField(
        label=_("Half of the year"),
        coerce=int,
        initial=1,
        required=False,
        empty_value=None,
        choices=[(1, _("First six months")), (2, _("Last six months"))],
    )
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False, help_text=CUSTOM_PERIOD_HELP)
    breakdowns = forms.MultipleChoiceField(
        label=_("Breakdowns"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(
        label=_("File"),
        choices=[("xlsx", "XLSX"), ("csv", "CSV")],
        initial="xlsx",
        widget=forms.RadioSelect,
    )
    sharing = forms.BooleanField(
        label=_("For sharing (small counts hidden for every unit)"), required=False
    )
    # Offered once the map was changed (D57): periods before the change on the old map.
    map = forms.ChoiceField(
        label=_("Administrative map"),
        choices=MAP_CHOICES,
        initial="new",
        required=False,
        help_text=_("For periods before the latest change of the administrative map."),
    )

    def __init__(self, *args: Any, units: Sequence[AdministrativeUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        depth = min((u.path.count("/") for u in units), default=0)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            (u.pk, "— " * (u.path.count("/") - depth) + u.name) for u in units
        ]
        self.fields["year"].initial = timezone.localdate().year
        # Every breakdown an indicator offers (sector, service, … with the standard four).
        self.fields["breakdowns"].choices = registry.breakdown_choices()  # type: ignore[attr-defined]
        if not Reorganisation.objects.exists():
            del self.fields["map"]

    def on_old_map(self) -> bool:
        return "map" in self.fields and self.cleaned_data.get("map") == "old"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        yearly = data.get("period_kind") in ("half_year", "year")
        if yearly and data.get("year") is None and "year" not in self.errors:
            self.add_error("year", _("Enter the year."))
        half_missing = data.get("half") is None and "half" not in self.errors
        if data.get("period_kind") == "half_year" and half_missing:
            self.add_error("half", _("Choose a half-year."))
        if data.get("period_kind") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", _("Enter the first day of the period."))
            if end is None:
                self.add_error("end", _("Enter the last day of the period."))
            if start and end:
                # The dashboard's own check: one limit for both pages (tables.custom).
                try:
                    tables.custom(start, end)
                except tables.PeriodError as error:
                    self.add_error(error.field, str(error))
        return data

    def periods(self) -> list[LabelledPeriod]:
        data = self.cleaned_data
        year = data.get("year") or (data["start"].year if data.get("start") else 2000)
        return periods_for(
            data["period_kind"],
            year=year,
            half=data.get("half") or 1,
            start=data.get("start"),
            end=data.get("end"),
        )
