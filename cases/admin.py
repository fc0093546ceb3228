"""Administration of the directory: units, organisations, staff — never people or cases."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from guardian.conf.settings import ANONYMOUS_USER_NAME

from accounts.models import User

from . import roles
from .models import (
    AdministrativeUnit,
    Organisation,
    OrganisationType,
    RoleChangeRequest,
    StaffProfile,
)


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

    # An administrator never gives themselves a role: that would be a way into case content.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser:
            return False
        return bool(super().has_change_permission(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            users = User.objects.exclude(username=ANONYMOUS_USER_NAME)
            if not request.user.is_superuser:
                users = users.exclude(pk=request.user.pk or 0)
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.user_id == request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        actor = request.user if isinstance(request.user, User) else None
        _profile, pending = roles.staff_profile_save(actor=actor, profile=obj)
        request._role_request = pending  # type: ignore[attr-defined]

    def _pending_response(self, request: HttpRequest) -> HttpResponse | None:
        if getattr(request, "_role_request", None) is None:
            return None
        self.message_user(
            request,
            _("The change needs a second person's approval (another administrator or a "
              "supervisor of that scope). It takes effect once approved."),
            level=messages.WARNING,
        )  # fmt: skip
        return redirect("admin:cases_staffprofile_changelist")

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        return self._pending_response(request) or super().response_add(request, obj)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        return self._pending_response(request) or super().response_change(request, obj)


@admin.register(RoleChangeRequest)
class RoleChangeRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: requests are decided on the approvals page, by a second person."""

    list_display = ["user", "role", "organisation", "scope_unit", "requested_by", "status"]
    list_filter = ["status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
