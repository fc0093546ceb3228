from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation

from . import registry


class EventFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    person = forms.UUIDField(
        label=_("Person (record id)"), required=False,
        help_text=_("The full record id, as shown in a link from an event."),
    )  # fmt: skip
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name"), required=False
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=lambda: [("", "—"), ("reads", _("Record reads")), *registry.choices()],
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict[str, Any]:
        """Return the cleaned filters that were given (empty if the form is invalid)."""
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
