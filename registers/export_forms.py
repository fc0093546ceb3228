"""The form of the register export page: which scope, which area, which file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import AdministrativeUnit

from .export_scope import KIND_LABELS, Kind


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to export"), widget=forms.RadioSelect)
    # Offered as a list of the user's units; a code outside it is refused by
    # ``export_scope.scope_for`` (a denial event), not by the form.
    unit = forms.CharField(label=_("Area"), required=False, widget=forms.Select)
    out_format = forms.ChoiceField(
        label=_("File"),
        choices=[
            ("xlsx", _("XLSX (one sheet per kind of record)")),
            ("csv", _("CSV (a ZIP of one file per sheet)")),
        ],
        initial="xlsx",
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, kinds: list[Kind], units: list[AdministrativeUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101
        kind.choices = [(k, KIND_LABELS[k]) for k in kinds]
        self.fields["kind"].initial = kinds[0] if kinds else None
        if units:
            self.fields["unit"].widget.choices = [("", "—")] + [
                (u.code, f"{u.name} ({u.code})") for u in units
            ]
            self.fields["unit"].help_text = _("Only for the register of an area.")
        else:
            del self.fields["unit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "unit" and not data.get("unit"):
            self.add_error("unit", _("Choose the area whose register to export."))
        return data
