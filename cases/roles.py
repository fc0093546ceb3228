"""Own who holds which role and which one-by-one grant: each change is an action with its event.

The staff profile names a user's role (and, only with an explicit flag, a second one);
``staff_profile_save`` makes the user's role groups follow it and records every change of
role, organisation or scope in the same transaction. Object grants (guardian's direct-FK
tables) are given and taken only by ``grant_give``, ``grant_end`` (one origin's hold ends)
and ``grant_revoke`` (the grant ends, whatever holds it).

One receiver stays: Django's group picker (a third-party form) could still add a role group
by hand; that is refused unless the profile names the role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import capabilities
from accounts.actions import account_created, account_unlock
from accounts.capabilities import Scope, forget_roles
from accounts.models import AnyUser, User, is_account
from audit import actions as audit

from . import access, chain, invitations
from . import capabilities as caps
from .choices import Role
from .events import CaseAction
from .models import (
    Case,
    CaseUserObjectPermission,
    EmergencyAccess,
    Person,
    PersonUserObjectPermission,
    RoleChangeRequest,
    RoleRejectionReason,
    StaffProfile,
)
from .staff import users_manage_require


def _allowed_roles(user: User) -> set[str]:
    try:
        return user.staff.roles
    except StaffProfile.DoesNotExist:
        return set()


def guarded_roles() -> frozenset[str]:
    """Return the roles whose grant needs a second person: case content, and the roles that
    approve or create roles (a second administrator or supervisor is a second vote)."""
    return (
        capabilities.holders("person.view")
        | capabilities.holders(caps.STAFF_APPROVE)
        | capabilities.holders(capabilities.USERS_MANAGE)
    )


def _opens_more(old: StaffProfile | None, new: StaffProfile) -> bool:
    """Return whether the change gives case content, a vote on roles, a qualification or a
    wider reach.

    A guarded role (``guarded_roles``) the user did not hold, the prescriber qualification
    (``may_prescribe``) they did not hold, another organisation, or a scope unit outside the
    old one's subtree all widen what the user sees, decides or orders.
    """
    guarded = guarded_roles()
    old_roles = old.roles if old is not None else set()
    if (new.roles & guarded) - old_roles:
        return True
    if new.may_prescribe and not (old is not None and old.may_prescribe):
        return True
    if old is None or not (new.roles & guarded):
        return False
    if old.organisation_id != new.organisation_id:
        return True
    return not new.scope_unit.path.startswith(old.scope_unit.path)


def staff_profile_save(
    *, actor: User | None, profile: StaffProfile
) -> tuple[StaffProfile, RoleChangeRequest | None]:
    """Validate and save a staff profile, or ask for a second person's approval.

    A change that opens case content or widens scope or organisation (``_opens_more``)
    takes effect only once another administrator, or a supervisor whose scope covers the
    new scope, approves it (ASVS 8.1/1.2 dual control): it is stored as a pending
    ``RoleChangeRequest`` and the profile is left as it was. ``actor=None`` is the system
    itself (a command run on the server, the demo), which applies directly.
    """
    profile.full_clean()
    old = StaffProfile.objects.filter(pk=profile.pk).first() if profile.pk else None
    if actor is not None and _opens_more(old, profile):
        with transaction.atomic():
            request = RoleChangeRequest.objects.create(
                user=profile.user,
                role=profile.role,
                second_role=profile.second_role,
                allow_second_role=profile.allow_second_role,
                may_prescribe=profile.may_prescribe,
                organisation=profile.organisation,
                scope_unit=profile.scope_unit,
                requested_by=actor,
            )
            audit.record(
                actor=actor,
                action=CaseAction.ROLE_CHANGE_REQUESTED,
                obj=request,
                detail=_proposal(request),
            )
        return old if old is not None else profile, request
    return _apply_profile(actor, profile), None


def _proposal(request: RoleChangeRequest) -> dict[str, object]:
    return {
        "user": request.user_id,
        "roles": sorted(request.roles),
        "may_prescribe": request.may_prescribe,
        "organisation": str(request.organisation_id),
        "scope_unit": request.scope_unit_id,
    }


def _apply_profile(actor: User | None, profile: StaffProfile) -> StaffProfile:
    """Save the profile; the user's role groups and staff flag follow it, each change an event."""
    user = profile.user
    with transaction.atomic():
        old = (
            StaffProfile.objects.select_for_update()
            .filter(pk=profile.pk)
            .values("organisation_id", "scope_unit_id", "may_prescribe")
            .first()
            if profile.pk
            else None
        )
        profile.save()
        new = {
            "organisation_id": profile.organisation_id,
            "scope_unit_id": profile.scope_unit_id,
            "may_prescribe": profile.may_prescribe,
        }
        # One event for the profile's own fields; a new profile's only if it prescribes.
        if (old is not None and old != new) or (old is None and profile.may_prescribe):
            was = old or {**new, "may_prescribe": False}
            audit.record(
                actor=actor,
                action=CaseAction.ROLE_CHANGED,
                object_type="user",
                object_id=user.pk,
                detail={
                    "organisation": [str(was["organisation_id"]), str(new["organisation_id"])],
                    "scope_unit": [was["scope_unit_id"], new["scope_unit_id"]],
                    "may_prescribe": [was["may_prescribe"], new["may_prescribe"]],
                },
            )
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
                actor=actor,
                action=CaseAction.ROLE_CHANGED,
                object_type="user",
                object_id=user.pk,
                detail={change: sorted(names)},
            )
        forget_roles(user)
        is_admin = Role.ADMINISTRATOR in wanted
        if user.is_staff != is_admin:
            user.is_staff = is_admin
            user.save(update_fields=["is_staff"])
    return profile


def role_requests_for(user: AnyUser) -> QuerySet[RoleChangeRequest]:
    """Return the role change requests the user may decide.

    Never one for or by the user's own chain of accounts (``chain``: the requester, the
    grantee, an account they made or that made or approved them). An administrator decides
    the rest; a supervisor only those whose organisation and new scope both lie in their
    own scope's subtree, since the role reaches both.
    """
    if not capabilities.can(user, caps.STAFF_APPROVE) or not is_account(user):
        return RoleChangeRequest.objects.none()
    requests = RoleChangeRequest.objects.exclude(
        requested_by__in=chain.blocked_requesters(user)
    ).exclude(user__in=chain.family(user))
    if capabilities.has_role(user, Role.ADMINISTRATOR):
        return requests
    path = user.staff.scope_unit.path
    return requests.filter(
        scope_unit__path__startswith=path, organisation__unit__path__startswith=path
    )


def role_request_decide(
    *, actor: User, request: RoleChangeRequest, approve: bool, reason: str = ""
) -> RoleChangeRequest:
    """Approve (apply) or reject a pending role change; never by the requester or grantee.

    A rejection needs a reason: stored encrypted, the event says only that there is one.
    """
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    if not role_requests_for(actor).filter(pk=request.pk).exists():
        # Recorded outside the transaction below, so the refusal does not roll it back.
        access.deny(actor, "approve_role_change", obj=request)
        raise PermissionDenied
    with transaction.atomic():
        locked = role_requests_for(actor).select_for_update().get(pk=request.pk)
        if locked.status != RoleChangeRequest.Status.PENDING:
            raise ValidationError(_("This request has already been decided."))
        locked.status = (
            RoleChangeRequest.Status.APPROVED if approve else RoleChangeRequest.Status.REJECTED
        )
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        if reason:
            note = RoleRejectionReason(request=locked, reason=reason)
            note.full_clean()
            note.save()
        audit.record(
            actor=actor,
            action=CaseAction.ROLE_CHANGE_APPROVED if approve else CaseAction.ROLE_CHANGE_REJECTED,
            obj=locked,
            detail={**_proposal(locked), "has_reason": bool(reason)},
        )
        if approve:
            profile = StaffProfile.objects.filter(user=locked.user).first() or StaffProfile(
                user=locked.user
            )
            profile.role, profile.second_role = locked.role, locked.second_role
            profile.allow_second_role = locked.allow_second_role
            profile.may_prescribe = locked.may_prescribe
            profile.organisation, profile.scope_unit = locked.organisation, locked.scope_unit
            profile.full_clean()
            _apply_profile(actor, profile)
    return locked


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


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    """Return the later of two expiries, None (no end) being later than any."""
    if first is None or second is None:
        return None
    return max(first, second)


def _emergency_until(grant: Any, now: datetime) -> datetime | None:
    """Return the end of the running emergency access the grant is linked to, or None."""
    emergency = grant.emergency
    return emergency.expires_at if emergency and emergency.expires_at > now else None


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

    One row holds the grant whatever gave it: a live row keeps the later expiry (none being
    the latest) and its link to a running emergency access, so giving never shortens nor
    unlinks what another origin holds. An emergency grant is recorded by the emergency
    access itself; any other is an event.
    """
    table = _GRANT_TABLES[type(obj)]
    now = timezone.now()
    with transaction.atomic():
        grant, created = (
            table.objects.select_for_update(of=("self",))
            .select_related("emergency")
            .get_or_create(
                user=user,
                permission=_grant_permission(obj, scope),
                content_object=obj,
                defaults={"expires_at": expires_at, "emergency": emergency},
            )
        )
        if not created:
            _merge(grant, expires_at=expires_at, emergency=emergency, now=now)
        if emergency is None:
            until = grant.expires_at
            _grant_event(
                actor, user, obj, scope, "given", {"expires_at": until and until.isoformat()}
            )
    return grant


def _merge(
    grant: Any, *, expires_at: datetime | None, emergency: EmergencyAccess | None, now: datetime
) -> None:
    """Lay a new hold over a grant already there: the later expiry, a running emergency link."""
    live = grant.expires_at is None or grant.expires_at > now
    grant.expires_at = _later(grant.expires_at, expires_at) if live else expires_at
    if emergency is not None or _emergency_until(grant, now) is None:
        grant.emergency = emergency
    grant.save(update_fields=["expires_at", "emergency"])


def _grant_event(
    actor: User | None,
    user: User,
    obj: Person | Case,
    scope: Scope,
    change: str,
    extra: dict[str, object] | None = None,
) -> None:
    detail = {"grant": f"{scope}_{obj._meta.model_name}", "change": change, "user": user.pk}
    audit.record(
        actor=actor, action=CaseAction.ROLE_CHANGED, obj=obj, detail=detail | (extra or {})
    )


def grant_end(
    *,
    actor: User | None,
    user: User,
    obj: Person | Case,
    until: datetime,
    held_until: datetime | None = None,
    scope: Scope = "view",
) -> int:
    """Take back one origin's hold on a user's grant; return 1 if nothing else held it.

    ``until`` is the expiry the ending origin held the grant to; ``held_until`` the latest
    expiry that other origins of the same kind still hold (the user's other live referrals
    on the case). A grant that outlasts ``until`` (or has no end) is held by another origin
    and stays as it is; otherwise it is cut back to the latest of ``held_until`` and a
    running emergency access it is linked to, or removed if neither is left.
    """
    table = _GRANT_TABLES[type(obj)]
    now = timezone.now()
    with transaction.atomic():
        grant = (
            table.objects.select_for_update(of=("self",))
            .select_related("emergency")
            .filter(user=user, permission=_grant_permission(obj, scope), content_object=obj)
            .first()
        )
        if grant is None:
            return 0
        emergency_until = _emergency_until(grant, now)
        holds = [t for t in (held_until, emergency_until) if t is not None and t > now]
        # Held to no later than ``until``: the ending origin was the longest hold.
        was_longest = grant.expires_at is not None and grant.expires_at <= until
        if was_longest and not holds:
            grant.delete()
            _grant_event(actor, user, obj, scope, "removed")
            return 1
        change = "kept"
        if was_longest:
            change = "shortened" if max(holds) < grant.expires_at else "kept"
            grant.expires_at = max(holds)
        if emergency_until is None:
            grant.emergency = None
        grant.save(update_fields=["expires_at", "emergency"])
        kept = grant.expires_at and grant.expires_at.isoformat()
        _grant_event(actor, user, obj, scope, change, {"expires_at": kept})
    return 0


def grant_revoke(*, actor: User | None, user: User, obj: Person | Case, scope: Scope) -> int:
    """Take one user's grant of ``scope`` on a person or case away; return how many ended."""
    table = _GRANT_TABLES[type(obj)]
    with transaction.atomic():
        removed, _by_model = table.objects.filter(
            user=user, permission=_grant_permission(obj, scope), content_object=obj
        ).delete()
        if removed:
            _grant_event(actor, user, obj, scope, "removed")
    return int(removed)


def _split_full_name(full_name: str) -> tuple[str, str]:
    """Split a Vietnamese full name into (family and middle names, given name)."""
    words = full_name.split()
    if not words:
        raise ValidationError({"full_name": _("Enter the full name.")})
    return " ".join(words[:-1]), words[-1]


def staff_member_create(
    *, actor: User, username: str, full_name: str, email: str, profile: StaffProfile
) -> tuple[User, RoleChangeRequest | None, str]:
    """Create an account and its staff profile in one transaction, through dual control.

    The account has no password: the newcomer sets one through an invitation link (whose
    path is returned, to show once) and a code a second person hands over, then enrols
    their authenticator at the first sign-in. The profile goes through
    ``staff_profile_save``, so a guarded role waits for a second person.
    """
    users_manage_require(actor=actor, what="create_staff_member")
    first_name, last_name = _split_full_name(full_name)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_unusable_password()
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
            account_created(actor=actor, user=user)
            path = invitations.invitation_issue(actor=actor, user=user)
            profile.user = user
            _profile, pending = staff_profile_save(actor=actor, profile=profile)
    except IntegrityError:  # another administrator took the name a moment ago
        raise ValidationError({"username": _("This username is already taken.")}) from None
    return user, pending, path


def staff_invitation_issue(*, actor: User, username: str) -> str:
    """Record and return a new invitation link path for someone who never set a password."""
    users_manage_require(actor=actor, what="invite_staff_member")
    # Every account, service accounts included: inviting one is refused and recorded.
    user = User.objects.filter(username=username).first()
    if user is None or user.has_usable_password():
        raise ValidationError(
            _("Only a person without a password (new, or after an approved reset) can be invited.")
        )
    return invitations.invitation_issue(actor=actor, user=user)


def staff_unlock(*, actor: User, username: str) -> int:
    """Lift a staff member's lockout from the staff page, like ``unlock_account``.

    Only an administrator may; anyone else's attempt is refused and recorded, and the lock
    stays. Return how many attempt records went (0: the account was not locked).
    """
    target = User.objects.filter(username=username).values_list("pk", flat=True).first()
    users_manage_require(actor=actor, what="unlock_account", user_id=target or "")
    return account_unlock(actor=actor, username=username, by=actor.get_username())
