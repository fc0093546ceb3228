"""Public holidays in the admin site: administrators correct and add days off."""

from __future__ import annotations

from django.contrib import admin

from .models import PublicHoliday


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["day", "name_vi", "name_en", "kind", "provisional"]
    list_filter = ["kind", "provisional"]
    search_fields = ["name_vi", "name_en"]
    date_hierarchy = "day"
