"""Administration of the directory: units, organisations, staff — never people or cases."""

from __future__ import annotations

from django.contrib import admin

from .models import AdministrativeUnit, Organisation, OrganisationType, StaffProfile


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]


@admin.register(OrganisationType)
class OrganisationTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "type", "unit", "is_active"]
    list_filter = ["type", "is_active"]
    search_fields = ["name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "role", "second_role", "organisation", "scope_unit"]
    list_filter = ["role"]
    search_fields = ["user__username"]
    autocomplete_fields = ["scope_unit", "organisation"]
