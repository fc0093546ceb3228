"""The administrator's form for a new API client."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import Role
from cases.models import AdministrativeUnit, Organisation

from .actions import CLIENT_ROLES, MAX_DAYS


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=61,
        help_text=_("Lower-case letters, digits and hyphens, e.g. bo-ldtbxh."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name")
    )
    scope_unit = forms.ModelChoiceField(
        label=_("Area"), queryset=AdministrativeUnit.objects.filter(is_active=True).order_by("path")
    )
    role = forms.ChoiceField(
        label=_("Role whose rules apply"), choices=[(r.value, r.label) for r in CLIENT_ROLES]
    )
    days = forms.IntegerField(
        label=_("Token valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=90
    )
    rate_per_minute = forms.IntegerField(
        label=_("Calls per minute"), min_value=1, max_value=6000, initial=120
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Role.CASEWORKER


class TokenForm(forms.Form):
    days = forms.IntegerField(
        label=_("Token valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=90
    )
