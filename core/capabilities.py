"""Declare what each role may do, and answer ``can(user, capability, obj=None)``.

A capability is a named verb on a kind of record (``case.change``, ``referral.approve``,
``dose.record``), declared once by the app that owns the record, with the roles that hold
it, the scope it needs on an object (``view`` or ``change``) and, rarely, a qualification
the staff profile must also hold (``may_prescribe``: a doctor, not every caseworker)::

    REFERRAL_APPROVE = declare("referral.approve", roles={Role.SUPERVISOR}, scope="view",
                               label=_("Approve a referral"))

``can(user, name)`` answers "may this user do it at all" (menus, 403 pages); with an object
it also asks the app that owns the object's scope whether the object is within the user's
scope (``register_object_check``; for people, cases and anything hanging off them that is
``cases.access``). Unknown objects are refused: the check fails closed.

The roles a user holds come from their role groups, and only while they have a staff
profile (``user.staff``, owned by the cases app). The table lives in core, below every
app that declares a verb (audit, accounts, cases, …); ``accounts.capabilities`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.functional import Promise

from core.roles import Role
from core.users import AnyAbstractUser

Scope = Literal["view", "change"]


@dataclass(frozen=True)
class Capability:
    name: str
    roles: frozenset[str]
    scope: Scope
    label: str | Promise
    # Django model permissions the role groups need for it (the admin reads these).
    model_permissions: tuple[str, ...] = ()
    # A qualification the staff profile must also hold (a boolean field of it, say
    # ``may_prescribe``): the role alone is not enough.
    qualification: str = ""


_capabilities: dict[str, Capability] = {}
ObjectCheck = Callable[[Any, Capability, Any], bool | None]
_object_checks: list[ObjectCheck] = []


class UnknownCapability(KeyError):
    """A check named a capability nobody declared (a typo must not read as "no")."""


def declare(
    name: str,
    *,
    roles: Iterable[str],
    label: str | Promise,
    scope: Scope = "view",
    model_permissions: Iterable[str] = (),
    qualification: str = "",
) -> str:
    """Declare a capability once; return its name for use in checks."""
    capability = Capability(
        name, frozenset(roles), scope, label, tuple(model_permissions), qualification
    )
    known = _capabilities.get(name)
    if known is not None and known != capability:
        raise ValueError(f"capability {name!r} is declared twice, differently")
    unknown = capability.roles - set(Role.values)
    if unknown:
        raise ValueError(f"capability {name!r} names unknown roles {sorted(unknown)}")
    _capabilities[name] = capability
    return name


def get(name: str) -> Capability:
    try:
        return _capabilities[name]
    except KeyError:
        raise UnknownCapability(name) from None


def all_capabilities() -> list[Capability]:
    return sorted(_capabilities.values(), key=lambda c: c.name)


def holders(name: str) -> frozenset[str]:
    """Return the roles that hold a capability."""
    return get(name).roles


def register_object_check(check: ObjectCheck) -> None:
    """Add a function answering whether an object is within a user's scope for a capability
    (True/False), or None when the object is not of a kind it knows."""
    if check not in _object_checks:
        _object_checks.append(check)


def roles_of(user: AnyAbstractUser) -> frozenset[str]:
    """Return the roles an active user with a staff profile holds (cached on the user)."""
    if not getattr(user, "is_active", False) or getattr(user, "pk", None) is None:
        return frozenset()
    if getattr(user, "staff", None) is None:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_hoa_roles", None)
    if cached is None:
        names = user.groups.filter(name__in=Role.values).values_list("name", flat=True)
        cached = frozenset(names)
        user.__dict__["_hoa_roles"] = cached
    return cached


def forget_roles(user: AnyAbstractUser) -> None:
    """Drop the cached roles after the user's groups changed."""
    user.__dict__.pop("_hoa_roles", None)


def qualified(user: AnyAbstractUser, qualification: str) -> bool:
    """Return whether the user's staff profile holds the qualification (fails closed)."""
    return getattr(getattr(user, "staff", None), qualification, False) is True


def has_role(user: AnyAbstractUser, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def can(user: AnyAbstractUser, capability: str, obj: Any = None) -> bool:
    """Return whether the user holds the capability (on ``obj``, within their scope)."""
    declared = get(capability)
    if roles_of(user).isdisjoint(declared.roles):
        return False
    if declared.qualification and not qualified(user, declared.qualification):
        return False
    if obj is None:
        return True
    for check in _object_checks:
        answer = check(user, declared, obj)
        if answer is not None:
            return answer
    return False


def role_permissions() -> dict[str, set[str]]:
    """Return, per role, the model permissions its group needs (from the capability table)."""
    table: dict[str, set[str]] = {role: set() for role in Role.values}
    for capability in _capabilities.values():
        for role in capability.roles:
            table[role].update(capability.model_permissions)
    return table


def sync_role_groups(**kwargs: Any) -> None:
    """Create the role groups and give each exactly its permissions (run after migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, names in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted: list[Permission] = []
        for name in sorted(names):
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
