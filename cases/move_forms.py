"""The form that records a person's move to another commune (D50)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, not_in_future, translate_blank_choices

from . import moves
from .forms import COMMUNE_FILTER_ATTRS, CommuneChoiceField
from .move_models import MoveSource


class MoveForm(forms.Form):
    """The new commune (anywhere in the country), the day of the move, who said so."""

    to_commune = CommuneChoiceField(
        label=_("New commune of residence"),
        queryset=moves.destination_communes(),
        widget=forms.Select(attrs=COMMUNE_FILTER_ATTRS),
        help_text=_("Any commune of the country; a move to another province works the same way."),
    )
    moved_on = DateField(label=_("Moved on"), validators=[not_in_future])
    source = forms.ChoiceField(
        label=_("Source of the information"),
        choices=[("", "---------"), *MoveSource.choices],
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that the new commune is notified now and, once it accepts, takes "
            "over the person's follow-up; we keep read access for a limited time"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_blank_choices(self)
