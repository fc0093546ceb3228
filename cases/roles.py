"""Own the roles: one Django group per role, its model permissions, and who holds which.

The staff profile names a user's role (and, only with an explicit flag, a second one); the
user's groups follow it. Adding a role group any other way (the admin's group picker, a
shell) is refused unless the profile allows it, and every change is an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from audit import actions as audit
from audit.choices import Action

from .choices import Role
from .models import CaseUserObjectPermission, PersonUserObjectPermission, StaffProfile

_CASE_CONTENT = ["cases.view_person", "cases.view_case"]
_CASE_WRITE = ["cases.add_person", "cases.change_person", "cases.add_case", "cases.change_case"]
_REVIEW = ["cases.review_emergencyaccess", "cases.view_emergencyaccess"]
_DIRECTORY = [
    f"cases.{verb}_{model}"
    for model in ("organisation", "administrativeunit", "organisationtype", "staffprofile")
    for verb in ("view", "add", "change")
]

# Model permissions of each role; which *objects* a role reaches is decided in cases.access.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CASEWORKER: [*_CASE_CONTENT, *_CASE_WRITE],
    Role.COMMUNE_OFFICER: [*_CASE_CONTENT, *_CASE_WRITE],
    Role.SUPERVISOR: [*_CASE_CONTENT, *_REVIEW],
    Role.AUDITOR: ["audit.view_event", "audit.view_seal", *_REVIEW],
    Role.ADMINISTRATOR: [
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group", *_DIRECTORY,
    ],
}  # fmt: skip


def sync_role_groups(**kwargs: Any) -> None:
    """Create the role groups and give each exactly its permissions (run after migrate)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted: list[Permission] = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def roles_of(user: Any) -> frozenset[str]:
    """Return the role names a user holds through their groups (cached on the user)."""
    if not isinstance(user, User) or not user.is_active or user.pk is None:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_hoa_roles", None)
    if cached is None:
        names = user.groups.filter(name__in=Role.values).values_list("name", flat=True)
        cached = frozenset(names)
        user._hoa_roles = cached  # type: ignore[attr-defined]
    return cached


def _allowed_roles(user: User) -> set[str]:
    try:
        return user.staff.roles
    except StaffProfile.DoesNotExist:
        return set()


@receiver(pre_save, sender=StaffProfile)
def remember_scope(sender: Any, instance: StaffProfile, **kwargs: Any) -> None:
    old = StaffProfile.objects.filter(pk=instance.pk).values("organisation_id", "scope_unit_id")
    instance._old_scope = old.first() if instance.pk else None  # type: ignore[attr-defined]


@receiver(post_save, sender=StaffProfile)
def follow_profile(sender: Any, instance: StaffProfile, **kwargs: Any) -> None:
    """Make the user's role groups match the profile, and staff status the admin role; record
    a change of organisation or scope (it changes which records the user sees)."""
    user = instance.user
    old = getattr(instance, "_old_scope", None)
    new = {"organisation_id": instance.organisation_id, "scope_unit_id": instance.scope_unit_id}
    if old is not None and old != new:
        audit.record(
            actor=None, action=Action.ROLE_CHANGED, object_type="user", object_id=user.pk,
            detail={
                "organisation": [str(old["organisation_id"]), str(new["organisation_id"])],
                "scope_unit": [old["scope_unit_id"], new["scope_unit_id"]],
            },
        )  # fmt: skip
    wanted = instance.roles
    current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    with transaction.atomic():
        if current - wanted:
            user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        if wanted - current:
            user.groups.add(*Group.objects.filter(name__in=wanted - current))
        is_admin = Role.ADMINISTRATOR in wanted
        if user.is_staff != is_admin:
            user.is_staff = is_admin
            user.save(update_fields=["is_staff"])


@receiver(m2m_changed, sender=User.groups.through)
def guard_role_groups(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Refuse a role group the profile does not name; record every role change."""
    if not isinstance(instance, User) or not pk_set:
        return
    roles = set(
        Group.objects.filter(pk__in=pk_set, name__in=Role.values).values_list("name", flat=True)
    )
    if not roles:
        return
    if action == "pre_add":
        refused = roles - _allowed_roles(instance)
        if refused:
            raise ValidationError(
                _(
                    "This role is not on the person's staff profile: %(roles)s. "
                    "Change the profile (a second role needs the explicit flag)."
                )
                % {"roles": ", ".join(sorted(refused))}
            )
    elif action in {"post_add", "post_remove"}:
        instance.__dict__.pop("_hoa_roles", None)
        audit.record(
            actor=None, action=Action.ROLE_CHANGED, object_type="user", object_id=instance.pk,
            detail={"added" if action == "post_add" else "removed": sorted(roles)},
        )  # fmt: skip


@receiver(post_save, sender=CaseUserObjectPermission)
@receiver(post_save, sender=PersonUserObjectPermission)
@receiver(post_delete, sender=CaseUserObjectPermission)
@receiver(post_delete, sender=PersonUserObjectPermission)
def record_grant(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Record every object grant given or taken away (emergency grants have their own event)."""
    if getattr(instance, "emergency_id", None) is not None:
        return
    grantee = {"user": instance.user_id}
    audit.record(
        actor=None, action=Action.ROLE_CHANGED, obj=instance.content_object,
        detail={
            "grant": instance.permission.codename,
            "change": "removed" if "created" not in kwargs else "given",
            "expires_at": getattr(instance, "expires_at", None) and instance.expires_at.isoformat(),
            **grantee,
        },
    )  # fmt: skip
