"""Own resets of another person's password or second factor: a second administrator decides.

Setting someone's password and resetting their second factor is what taking an account over
takes, so neither is done by one administrator alone (ASVS 8.1 / 1.2, 6.4.x): a request waits
on the approvals page for another administrator outside the requester's chain of accounts
(``cases.chain``), and the account's owner is told when it is asked and when it is decided
(a notification, and e-mail where a mail host is set). An approved password reset makes the
password unusable (every session of the account ends); the person then sets a new one
through a new invitation, finished with a code a second person hands over
(``cases.invitations``). An approved second-factor reset removes their authenticator and
backup codes; they enrol again at the next sign-in.

Reactivating a deactivated account gives its access back, so for an account that holds (or
whose staff profile names) a role opening case content or approving roles, or a superuser,
it is a request of the same kind (``reactivate``): ``accounts.actions.user_save`` asks
``reactivation_hold`` (registered in ``cases.apps``), saves the rest of the edit and leaves
the account inactive until another administrator approves. Deactivating applies at once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import capabilities
from accounts.actions import password_set, second_factor_reset
from accounts.events import AccountAction
from accounts.models import AnyUser, User, is_account
from audit import actions as audit
from audit.registry import ACCESS_CHANGE, register
from notifications import verbs
from notifications.actions import notify

from . import access, chain
from .choices import Role
from .models import AccountResetRequest, RoleChangeRequest, StaffProfile
from .roles import guarded_roles

REACTIVATE = AccountResetRequest.Kind.REACTIVATE


class ResetAction:
    REQUESTED = register(
        "account_reset_requested", gettext_lazy("Asked to reset a sign-in"), kind=ACCESS_CHANGE
    )
    APPROVED = register(
        "account_reset_approved", gettext_lazy("Approved a sign-in reset"), kind=ACCESS_CHANGE
    )
    REJECTED = register("account_reset_rejected", gettext_lazy("Rejected a sign-in reset"))


RESET_VERB = verbs.register("account_reset", gettext_lazy("Your sign-in is being reset"))


def _denied(actor: AnyUser, user_id: Any, perm: str) -> None:
    access.deny(actor, perm, object_type="user", object_id=user_id or "")


def _tell_owner(request: AccountResetRequest, text: str) -> None:
    notify(
        actor=None,
        recipients=[request.user],
        verb=RESET_VERB,
        text=text,
        url=reverse("notifications:list"),
    )


def account_reset_request(*, actor: User, user: User, kind: str) -> AccountResetRequest:
    """Ask for a reset of someone else's password or second factor; tell the owner."""
    if not capabilities.can(actor, capabilities.USERS_MANAGE) or user.pk == actor.pk:
        _denied(actor, user.pk, f"reset_{kind}")
        raise PermissionDenied
    if user.is_superuser and not actor.is_superuser:
        _denied(actor, user.pk, f"reset_{kind}")
        raise PermissionDenied
    return _ask(actor, user, kind)


def _ask(actor: User, user: User, kind: str) -> AccountResetRequest:
    with transaction.atomic():
        request = AccountResetRequest(user=user, kind=kind, requested_by=actor)
        request.full_clean()
        request.save()
        audit.record(
            actor=actor,
            action=ResetAction.REQUESTED,
            object_type="user",
            object_id=user.pk,
            detail={"kind": kind, "request": str(request.pk)},
        )
        if kind == REACTIVATE:
            text = _(
                "An administrator asked to reactivate your account. A second administrator "
                "must approve it. If you did not ask for this, tell your supervisor."
            )
        else:
            text = _(
                "An administrator asked to reset your %(what)s. A second administrator must "
                "approve it. If you did not ask for this, tell your supervisor."
            ) % {"what": request.get_kind_display().lower()}
        _tell_owner(request, text)
    return request


def _reaches_far(user: User) -> bool:
    """Return whether the account holds, or its profile names, a guarded role (``cases.roles``:
    case content, or a vote on roles), or is a superuser."""
    if user.is_superuser:
        return True
    held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is not None:
        held |= profile.roles
    return bool(held & guarded_roles())


def reactivation_hold(actor: User, user: User) -> bool:
    """Hold the reactivation of an account that reaches far for a second administrator.

    Called by ``accounts.actions.user_save`` (after its own check that the actor manages
    accounts) when a deactivated account is saved active. Return True when it must wait:
    a pending ``reactivate`` request is recorded (once; a second save while one waits asks
    nothing new) and the owner is told, as for a reset.
    """
    if not _reaches_far(user):
        return False
    waiting = AccountResetRequest.objects.filter(
        user=user, kind=REACTIVATE, status=RoleChangeRequest.Status.PENDING
    )
    if not waiting.exists():
        _ask(actor, user, REACTIVATE)
    return True


def account_resets_for(user: AnyUser) -> QuerySet[AccountResetRequest]:
    """Return the pending resets this user may decide: an administrator, for no one in
    their own chain of accounts and never one they or their chain asked for."""
    if not capabilities.can(user, capabilities.USERS_MANAGE) or not is_account(user):
        return AccountResetRequest.objects.none()
    return (
        AccountResetRequest.objects.filter(status=RoleChangeRequest.Status.PENDING)
        .exclude(requested_by__in=chain.blocked_requesters(user))
        .exclude(user__in=chain.family(user))
        .select_related("user", "requested_by")
        .order_by("requested_at")
    )


def account_reset_decide(*, actor: User, request_id: Any, approve: bool) -> AccountResetRequest:
    """Approve (carry out) or reject a pending reset; the owner is told either way."""
    with transaction.atomic():
        request = (
            account_resets_for(actor).select_for_update(of=("self",)).filter(pk=request_id).first()
        )
        if request is not None:
            request.status = (
                RoleChangeRequest.Status.APPROVED if approve else RoleChangeRequest.Status.REJECTED
            )
            request.decided_by, request.decided_at = actor, timezone.now()
            request.save(update_fields=["status", "decided_by", "decided_at"])
            audit.record(
                actor=actor,
                action=ResetAction.APPROVED if approve else ResetAction.REJECTED,
                object_type="user",
                object_id=request.user_id,
                detail={"kind": request.kind, "request": str(request.pk)},
            )
            if approve:
                _carry_out(actor, request)
            _tell_owner(request, _decided_text(request, approve))
            return request
    user_id = AccountResetRequest.objects.filter(pk=request_id).values_list("user_id", flat=True)
    _denied(actor, user_id.first(), "approve_account_reset")
    raise Http404


def _decided_text(request: AccountResetRequest, approve: bool) -> str:
    if request.kind == REACTIVATE:
        if approve:
            return _("A second administrator approved reactivating your account.")
        return _("Reactivating your account was rejected.")
    what = request.get_kind_display().lower()
    if approve:
        return _("A second administrator approved the reset of your %(what)s.") % {"what": what}
    return _("The reset of your %(what)s was rejected.") % {"what": what}


def _carry_out(actor: User, request: AccountResetRequest) -> None:
    user = request.user
    if request.kind == REACTIVATE:
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit.record(
                actor=actor,
                action=AccountAction.USER_CHANGED,
                object_type="user",
                object_id=user.pk,
                detail={"fields": ["is_active"], "request": str(request.pk)},
            )
        return
    if request.kind == AccountResetRequest.Kind.SECOND_FACTOR:
        second_factor_reset(actor=actor, user=user)
        return
    # An unusable password: every session ends (the session hash changes), and the person
    # sets a new one through a new invitation, finished with a second person's code.
    password_set(actor=actor, user=user, password=None)


def password_set_refuse(*, actor: AnyUser, user_id: Any) -> None:
    """Refuse setting another person's password directly (the admin's password form)."""
    _denied(actor, user_id, "set_password")
    raise PermissionDenied(
        ValidationError(_("Ask for a password reset: a second administrator approves it."))
    )
