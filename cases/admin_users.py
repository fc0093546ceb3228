"""The user admin, narrowed for administrators who are not superusers.

It lives in cases, which owns staff and the second person's approval of a reset
(``cases.resets``); the accounts it edits are accounts' (``accounts.actions`` writes them).

Roles come from the staff profile (cases.roles), so groups, direct permissions and the
superuser flag are not editable here by an ordinary administrator: that would be a way to
hand out access without the profile and its explicit second-role flag.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import actions
from accounts.models import User
from core.roles import Role

from . import resets
from .models import AccountResetRequest


class RoleGroupFilter(admin.SimpleListFilter):
    """Filter by role group, showing each role's label rather than its code."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(groups__name=value) if value in Role.values else queryset


def _role_labels(user: User) -> str:
    labels = dict(Role.choices)
    names = sorted(user.groups.values_list("name", flat=True))
    return ", ".join(str(labels.get(name, name)) for name in names) or "—"


@admin.register(User)
class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]
    list_filter = ["is_active", RoleGroupFilter]
    actions = ["reset_second_factor", "reset_password", "unlock_accounts"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a superuser changes a superuser (password, second factor, anything).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return bool(super().has_change_permission(request, obj))

    @admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["change"])
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = self._reset_asker(request, queryset)
        for user in queryset:
            resets.account_reset_request(
                actor=actor, user=user, kind=AccountResetRequest.Kind.SECOND_FACTOR
            )
        self._reset_asked(request)

    @admin.action(description=_("Reset password (a new invitation)"), permissions=["change"])
    def reset_password(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = self._reset_asker(request, queryset)
        for user in queryset:
            resets.account_reset_request(
                actor=actor, user=user, kind=AccountResetRequest.Kind.PASSWORD
            )
        self._reset_asked(request)

    def _reset_asker(self, request: HttpRequest, queryset: QuerySet[User]) -> User:
        # A reset waits for a second administrator and the owner is told (cases.resets).
        actor = request.user
        if not isinstance(actor, User):  # the admin requires a signed-in user
            raise PermissionDenied
        if not actor.is_superuser and queryset.filter(is_superuser=True).exists():
            raise PermissionDenied
        return actor

    def _reset_asked(self, request: HttpRequest) -> None:
        self.message_user(
            request, _("Asked. A second administrator approves it on the approvals page.")
        )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Setting another person's password is taking their account over: never directly.
        resets.password_set_refuse(actor=request.user, user_id=id)

    @admin.action(description=_("Unlock (after repeated failed sign-ins)"), permissions=["change"])
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        if not isinstance(actor, User):
            raise PermissionDenied
        unlocked = [
            user.get_username()
            for user in queryset
            if actions.account_unlock(actor=actor, username=user.get_username(), by=actor.username)
        ]
        self.message_user(request, _("Unlocked: %(names)s") % {"names": ", ".join(unlocked) or "—"})

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (None, {"fields": ("username", "password")}),
            ("", {"fields": ("first_name", "last_name", "email", "is_active")}),
            ("", {"fields": ("roles", "last_login", "date_joined")}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Role groups follow the staff profile (and its dual control), for superusers too:
        # a group picked here would be refused anyway.
        if request.user.is_superuser:
            return [*super().get_readonly_fields(request, obj), "groups"]
        return ["roles", "groups", "last_login", "date_joined", "is_staff", "is_superuser"]

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        """Show the role groups by their labels, not their codes."""
        return _role_labels(obj)

    # Every write goes through an action with its event (accounts.actions).
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        asked = obj.is_active
        actions.user_save(actor=_actor(request), user=obj)
        if asked and not obj.is_active:  # held for a second person (cases.resets)
            self.message_user(
                request,
                _(
                    "The other changes are saved. Reactivating the account waits for a second "
                    "administrator on the approvals page; the person is told."
                ),
                messages.WARNING,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        actions.user_delete(actor=_actor(request), user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():  # the list's "delete selected": all of them or none
            for user in queryset:
                actions.user_delete(actor=_actor(request), user=user)


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the admin requires a signed-in user
        raise PermissionDenied
    return user
