"""The upload form of the import page."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

# The largest file the page accepts (the command takes any size).
UPLOAD_MAX = 50 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Register file"),
        help_text=_(
            "An Excel workbook (.xlsx) made from the template, a CSV file or a ZIP of CSVs."
        ),
        validators=[FileExtensionValidator(["xlsx", "csv", "zip"])],
    )
    dry_run = forms.BooleanField(
        label=_("Check only (write nothing)"), required=False, initial=True
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX:
            raise forms.ValidationError(_("The file is larger than 50 MB: use the command."))
        return upload
