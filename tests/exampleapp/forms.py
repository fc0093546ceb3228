"""The case note's form: dd/mm/yyyy dates, the staff who may be responsible, the version."""

from __future__ import annotations

from typing import Any

from django import forms

from cases import access
from cases.models import Organisation
from core.forms import DateField, VersionField, translate_blank_choices

from .models import CaseNote


class CaseNoteForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CaseNote
        fields = ["written_on", "topic", "text", "next_contact_on", "responsible"]
        field_classes = {"written_on": DateField, "next_contact_on": DateField}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = Organisation.objects.filter(pk=self.instance.case.organisation_id)
        self.fields["responsible"].queryset = access.assignable_staff(organisation)  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)
