"""Own who holds which role and which one-by-one grant: each change is an action with its event.

The staff profile names a user's role (and, only with an explicit flag, a second one);
``staff_profile_save`` makes the user's role groups follow it and records every change of
role, organisation or scope in the same transaction. Object grants (guardian's direct-FK
tables) are given and taken only by ``grant_give`` / ``grant_revoke``.

One receiver stays: Django's group picker (a third-party form) could still add a role group
by hand; that is refused unless the profile names the role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.capabilities import Scope, forget_roles
from accounts.models import User
from audit import actions as audit

from .choices import Role
from .events import CaseAction
from .models import (
    Case,
    CaseUserObjectPermission,
    EmergencyAccess,
    Person,
    PersonUserObjectPermission,
    StaffProfile,
)


def _allowed_roles(user: User) -> set[str]:
    try:
        return user.staff.roles
    except StaffProfile.DoesNotExist:
        return set()


def staff_profile_save(*, actor: User | None, profile: StaffProfile) -> StaffProfile:
    """Validate and save a staff profile; the user's role groups and staff flag follow it.

    Records a change of organisation or scope, then each role removed and added.
    """
    profile.full_clean()
    user = profile.user
    with transaction.atomic():
        old = (
            StaffProfile.objects.select_for_update()
            .filter(pk=profile.pk)
            .values("organisation_id", "scope_unit_id")
            .first()
            if profile.pk
            else None
        )
        profile.save()
        new = {"organisation_id": profile.organisation_id, "scope_unit_id": profile.scope_unit_id}
        if old is not None and old != new:
            audit.record(
                actor=actor, action=CaseAction.ROLE_CHANGED, object_type="user",
                object_id=user.pk,
                detail={
                    "organisation": [str(old["organisation_id"]), str(new["organisation_id"])],
                    "scope_unit": [old["scope_unit_id"], new["scope_unit_id"]],
                },
            )  # fmt: skip
        wanted = profile.roles
        current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        for change, names in (("removed", current - wanted), ("added", wanted - current)):
            if not names:
                continue
            groups = Group.objects.filter(name__in=names)
            if change == "removed":
                user.groups.remove(*groups)
            else:
                user.groups.add(*groups)
            audit.record(
                actor=actor, action=CaseAction.ROLE_CHANGED, object_type="user",
                object_id=user.pk, detail={change: sorted(names)},
            )  # fmt: skip
        forget_roles(user)
        is_admin = Role.ADMINISTRATOR in wanted
        if user.is_staff != is_admin:
            user.is_staff = is_admin
            user.save(update_fields=["is_staff"])
    return profile


@receiver(m2m_changed, sender=User.groups.through)
def guard_role_groups(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Refuse a role group the profile does not name (the group picker, a shell)."""
    if action != "pre_add" or not isinstance(instance, User) or not pk_set:
        return
    roles = set(
        Group.objects.filter(pk__in=pk_set, name__in=Role.values).values_list("name", flat=True)
    )
    refused = roles - _allowed_roles(instance)
    if refused:
        raise ValidationError(
            _(
                "This role is not on the person's staff profile: %(roles)s. "
                "Change the profile (a second role needs the explicit flag)."
            )
            % {"roles": ", ".join(sorted(refused))}
        )


_GRANT_TABLES: dict[type[Any], type[Any]] = {
    Person: PersonUserObjectPermission,
    Case: CaseUserObjectPermission,
}


def _grant_permission(obj: Person | Case, scope: Scope) -> Permission:
    model = obj._meta.model_name
    return Permission.objects.get(content_type__app_label="cases", codename=f"{scope}_{model}")


def grant_give(
    *,
    actor: User | None,
    user: User,
    obj: Person | Case,
    scope: Scope = "view",
    expires_at: datetime | None = None,
    emergency: EmergencyAccess | None = None,
) -> Any:
    """Give (or renew) one user ``scope`` on one person or case, optionally until a time.

    An emergency grant is recorded by the emergency access itself; any other is an event.
    """
    table = _GRANT_TABLES[type(obj)]
    with transaction.atomic():
        grant, _created = table.objects.update_or_create(
            user=user, permission=_grant_permission(obj, scope), content_object=obj,
            defaults={"expires_at": expires_at, "emergency": emergency},
        )  # fmt: skip
        if emergency is None:
            audit.record(
                actor=actor, action=CaseAction.ROLE_CHANGED, obj=obj,
                detail={
                    "grant": f"{scope}_{obj._meta.model_name}", "change": "given",
                    "user": user.pk, "expires_at": expires_at and expires_at.isoformat(),
                },
            )  # fmt: skip
    return grant


def grant_revoke(*, actor: User | None, user: User, obj: Person | Case, scope: Scope) -> int:
    """Take one user's grant of ``scope`` on a person or case away; return how many ended."""
    table = _GRANT_TABLES[type(obj)]
    with transaction.atomic():
        removed, _by_model = table.objects.filter(
            user=user, permission=_grant_permission(obj, scope), content_object=obj
        ).delete()
        if removed:
            audit.record(
                actor=actor, action=CaseAction.ROLE_CHANGED, obj=obj,
                detail={
                    "grant": f"{scope}_{obj._meta.model_name}", "change": "removed",
                    "user": user.pk,
                },
            )  # fmt: skip
    return int(removed)
