"""Administration of the directory: units, organisations, staff — never people or cases."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

from . import (
    admin_users,  # noqa: F401  (registers the user admin)
    directory,
    roles,
)
from .models import (
    AdministrativeUnit,
    DirectoryChangeRequest,
    Organisation,
    OrganisationType,
    RoleChangeRequest,
    StaffProfile,
)


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the admin requires a signed-in user
        raise PermissionDenied
    return user


class DirectoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every write of a directory row goes through its action in ``cases.directory``.

    A move that widens someone's reach waits for a second administrator: the page says so,
    and the request is decided on the "directory change requests" list.
    """

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():  # the list's "delete selected": all of them or none
            for obj in queryset:
                self.delete_model(request, obj)

    def _pending(self, request: HttpRequest, pending: DirectoryChangeRequest | None) -> None:
        if pending is None:
            return
        self.message_user(
            request,
            _(
                "The move needs a second administrator's approval; it takes effect once "
                "approved. Other changes are saved."
            ),
            level=messages.WARNING,
        )


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(DirectoryAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _unit, pending = directory.unit_save(actor=_actor(request), unit=obj)
        self._pending(request, pending)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        directory.unit_delete(actor=_actor(request), unit=obj)


@admin.register(OrganisationType)
class OrganisationTypeAdmin(DirectoryAdmin):
    list_display = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        directory.organisation_type_save(actor=_actor(request), organisation_type=obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        directory.organisation_type_delete(actor=_actor(request), organisation_type=obj)


@admin.register(Organisation)
class OrganisationAdmin(DirectoryAdmin):
    list_display = ["name", "type", "unit", "is_active"]
    list_filter = ["type", "is_active"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _organisation, pending = directory.organisation_save(
            actor=_actor(request), organisation=obj
        )
        self._pending(request, pending)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        directory.organisation_delete(actor=_actor(request), organisation=obj)


@admin.register(DirectoryChangeRequest)
class DirectoryChangeRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only but for the decision: another administrator approves or rejects a move."""

    list_display = ["kind", "unit", "organisation", "to_unit", "requested_by", "status"]
    list_filter = ["status", "kind"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return directory.may_manage(request.user)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Any], approve: bool) -> None:
        actor = _actor(request)
        done = 0
        for pending in queryset:
            try:
                directory.directory_request_decide(actor=actor, request=pending, approve=approve)
            except (PermissionDenied, ValidationError):
                self.message_user(
                    request,
                    _("%(request)s: only another administrator can decide a pending move.")
                    % {"request": pending},
                    level=messages.ERROR,
                )
                continue
            done += 1
        if done:
            self.message_user(request, _("Decided: %(n)d.") % {"n": done})

    @admin.action(description=gettext_lazy("Approve the selected moves"), permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=gettext_lazy("Reject the selected moves"), permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, approve=False)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "role", "second_role", "may_prescribe", "organisation", "scope_unit"]
    list_filter = ["role", "may_prescribe"]
    search_fields = ["user__username"]
    autocomplete_fields = ["scope_unit", "organisation"]

    # A profile is never deleted here: a role is removed by changing the profile (an event).
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # An administrator never gives themselves a role: that would be a way into case content.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser:
            return False
        return bool(super().has_change_permission(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            users = User.objects.all()
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
            _(
                "The change needs a second person's approval (another administrator or a "
                "supervisor of that scope). It takes effect once approved."
            ),
            level=messages.WARNING,
        )
        return redirect("admin:cases_staffprofile_changelist")

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        return self._pending_response(request) or super().response_add(request, obj)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        return self._pending_response(request) or super().response_change(request, obj)


@admin.register(RoleChangeRequest)
class RoleChangeRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: requests are decided on the approvals page, by a second person."""

    list_display = [
        "user",
        "role",
        "may_prescribe",
        "organisation",
        "scope_unit",
        "requested_by",
        "status",
    ]
    list_filter = ["status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
