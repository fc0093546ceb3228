"""The service catalogue in the admin site: administrators add, change and deactivate entries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.choices import ClientCategory

from .actions import service_type_save
from .models import ServiceType


class ServiceTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    """The catalogue entry, its client categories as checkboxes (none ticked: everyone)."""

    applies_to = forms.MultipleChoiceField(
        label=_("offered to"),
        choices=ClientCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to offer the service to every client category."),
    )

    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name_vi",
            "name_en",
            "category",
            "applies_to",
            "records_amount",
            "is_active",
            "order",
        ]

    def clean_applies_to(self) -> list[str]:
        return [str(value) for value in self.cleaned_data.get("applies_to") or []]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ServiceTypeForm
    list_display = ["code", "name_vi", "name_en", "category", "records_amount", "is_active"]
    list_filter = ["category", "is_active", "records_amount"]
    search_fields = ["code", "name_vi", "name_en"]
    actions: Any = None  # no bulk delete

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Records, reports and the seed data name a service by its code: it never changes.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: delivered services keep pointing at the entry

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        service_type_save(actor=request.user, service_type=obj)
