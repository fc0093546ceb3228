"""The document's forms: attach a file (with its type, date and note), change its details."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.fields import ADDRESS_MAX
from core.forms import DateField, VersionField, translate_blank_choices

from .models import Document


class DocumentDetailsForm(VersionField, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Document
        fields = ["kind", "dated_on", "note"]
        field_classes = {"dated_on": DateField}
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial.setdefault("version", self.instance.version)
        translate_blank_choices(self)


class DocumentAttachForm(DocumentDetailsForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, JPEG or PNG. A photo's location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if (upload.size or 0) > settings.DOCUMENT_MAX_BYTES:
            # Refused before reading it; the content checks are the action's.
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB: scan it at a lower resolution.")
                % {"limit": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload


class DocumentReplaceForm(DocumentAttachForm):
    """A new version of a document: its file, date and note (the kind stays)."""

    class Meta(DocumentDetailsForm.Meta):
        fields = ["dated_on", "note"]


class DocumentWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it withdrawn?"),
        max_length=ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "The file is destroyed; the document's facts and this reason are kept."
        ),
    )
