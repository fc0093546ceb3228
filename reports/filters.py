"""The dashboard's filters: unit, period (quarter, half-year, year, custom) and breakdown.

Submitted by GET so a view of the figures can be bookmarked and printed. The period is
checked by ``reports.tables``' helpers, whose messages go under the field the user most
likely got wrong; an invalid filter shows its errors and no figures.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, translate_blank_choices

from . import registry, tables
from .registry import Period

PERIOD_KINDS = [
    ("quarter", _("Quarter")),
    ("half", _("Half-year")),
    ("year", _("Year")),
    ("custom", _("From … to …")),
]
# Said under the "To" field of both the dashboard's and the report's period: the one limit
# (``tables.CUSTOM_MAX_DAYS``, checked by ``tables.custom`` for both).
CUSTOM_PERIOD_HELP = _("A period you choose is at most three years long.")
# The parameters that name a view of the figures (kept by links between the pages).
PARAMS = ("unit", "period", "year", "quarter", "half", "start", "end", "breakdown", "map")
# A period before a change of the administrative map (D57, ``reports.oldmap``): counted on
# today's map (the default) or on the map of that time. Offered only for such a period.
MAP_CHOICES = [
    ("new", _("Re-based on the new map")),
    ("old", _("On the old map (units of that time)")),
]


class FiguresForm(forms.Form):
    """Which figures to show; ``period_value()`` is the period once the form is valid."""

    unit = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_KINDS, initial="year")
    year = forms.IntegerField(label=_("Year"), required=False)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("— Choose —"))] + [(str(n), str(n)) for n in range(1, 5)],
    )
    half = forms.TypedChoiceField(
        label=_("Half-year"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("— Choose —")), ("1", _("January–June")), ("2", _("July–December"))],
    )
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False, help_text=CUSTOM_PERIOD_HELP)
    # Choices from the registry (set per form): every breakdown an indicator offers.
    breakdown = forms.ChoiceField(label=_("Breakdown"), required=False)
    map = forms.ChoiceField(
        label=_("Administrative map"), required=False, choices=MAP_CHOICES, initial="new"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("year", timezone.localdate().year)
        self.fields["breakdown"].choices = [  # type: ignore[attr-defined]
            ("", _("None")),
            *registry.breakdown_choices(),
        ]
        translate_blank_choices(self)
        self._period: Period | None = None

    def on_old_map(self) -> bool:
        """Whether the old map was asked for (the field is dropped when not offered)."""
        return "map" in self.fields and self.is_bound and self.cleaned_data.get("map") == "old"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("period")
        try:
            self._period = self._build(kind, data)
        except tables.PeriodError as error:
            self.add_error(error.field, str(error))
        return data

    def _build(self, kind: str | None, data: dict[str, Any]) -> Period | None:
        if kind is None:
            return None  # the choice itself was refused
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            missing = [name for name in ("start", "end") if data.get(name) is None]
            for name in missing:
                if name not in self.errors:
                    self.add_error(name, _("Enter the day the period starts and the day it ends."))
            if start is None or end is None:
                return None
            return tables.custom(start, end)
        if "year" in self.errors:
            return None
        year = data.get("year")
        if year is None:
            self.add_error("year", _("Enter a year."))
            return None
        if kind == "year":
            return tables.year(year)
        number = data.get(kind)
        if number is None:
            if kind not in self.errors:
                message = _("Choose a quarter.") if kind == "quarter" else _("Choose a half-year.")
                self.add_error(kind, message)
            return None
        return tables.quarter(year, number) if kind == "quarter" else tables.half_year(year, number)

    def period_value(self) -> Period:
        """Return the period asked for (call after ``is_valid()``)."""
        if self._period is None:
            raise ValueError("the form is not valid")
        return self._period


def default_period() -> Period:
    """Return the period shown before the user chose one: this year."""
    return tables.year(timezone.localdate().year)
