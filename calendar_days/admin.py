"""Public holidays in the admin site: administrators correct and add days off.

Every add, change and delete goes through ``calendar_days.holidays`` actions, which record a
``holiday_changed`` event in the audit chain in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from core.users import AnyAbstractUser

from .holidays import holiday_delete, holiday_save
from .models import PublicHoliday


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["day", "name_vi", "name_en", "kind", "provisional"]
    list_filter = ["kind", "provisional"]
    search_fields = ["name_vi", "name_en"]
    date_hierarchy = "day"

    def save_model(self, request: HttpRequest, obj: PublicHoliday, form: Any, change: bool) -> None:
        holiday_save(actor=_user(request), holiday=obj, fields=list(form.changed_data))

    def delete_model(self, request: HttpRequest, obj: PublicHoliday) -> None:
        holiday_delete(actor=_user(request), holiday=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PublicHoliday]) -> None:
        with transaction.atomic():  # the list's "delete selected": all of them or none
            for holiday in queryset:
                holiday_delete(actor=_user(request), holiday=holiday)


def _user(request: HttpRequest) -> AnyAbstractUser | None:
    user = request.user
    return user if isinstance(user, AbstractBaseUser) else None
