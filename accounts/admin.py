"""The user admin, narrowed for administrators who are not superusers.

Roles come from the staff profile (cases.roles), so groups, direct permissions and the
superuser flag are not editable here by an ordinary administrator: that would be a way to
hand out access without the profile and its explicit second-role flag.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest

admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]
    list_filter = ["is_active", "groups"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (None, {"fields": ("username", "password")}),
            ("", {"fields": ("first_name", "last_name", "email", "is_active")}),
            ("", {"fields": ("groups", "last_login", "date_joined")}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["groups", "last_login", "date_joined", "is_staff", "is_superuser"]
