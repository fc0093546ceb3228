"""The appointment form (D46): one column, quick on a phone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import access
from core.forms import DateField, VersionField, translate_blank_choices

from .actions import staff_choices
from .models import Appointment


class AppointmentForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    """Add or change an appointment; the status (done, missed) only once it exists."""

    class Meta:
        model = Appointment
        fields = ["kind", "starts_on", "starts_at", "duration_minutes", "place", "staff", "status"]
        field_classes = {"starts_on": DateField}
        widgets = {
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "duration_minutes": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
            "place": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "place": _(
                "Shown in calendar files: the place only (for example: the commune health "
                "station), never the person's name or address."
            )
        }

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = staff_choices(user)
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
            current = Q(pk=self.instance.staff_id)
            staff = User.objects.filter(Q(pk__in=staff.values("pk")) | current).order_by(
                "last_name", "first_name", "username"
            )
        else:
            del self.fields["status"]
            self.initial["staff"] = self.initial.get("staff") or getattr(user, "pk", None)
            # Today, unless the page says otherwise (the instance's None is no choice).
            self.initial["starts_on"] = self.initial.get("starts_on") or timezone.localdate()
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["duration_minutes"].validators.append(_within_a_day)
        translate_blank_choices(self)


def _within_a_day(value: int | None) -> None:
    if value is not None and not 1 <= value <= 24 * 60:
        raise ValidationError(_("Enter a duration between 1 and 1440 minutes."))
