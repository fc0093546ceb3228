"""Sign-in writes: enrol and check the second factor, unlock accounts; each is an event."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import AccountAction
from accounts.models import User
from audit import actions as audit

from . import capabilities, lockout
from .models import BackupCodeDevice, TOTPDevice, code_kind, new_totp_secret

# The session's own pending authenticator (its uid): each session enrols with its own secret.
PENDING_DEVICE_SESSION_KEY = "hoa_nhap_pending_totp"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    locked: bool = False
    backup_codes: tuple[str, ...] = ()
    # Seconds to wait: every device was in django-otp's back-off after a wrong code, so
    # the code was not checked (neither right nor wrong) and counts for nothing.
    wait: int = 0


def _back_off(devices: Sequence[TOTPDevice | BackupCodeDevice]) -> int:
    """Return the seconds until a device may check a code, or 0 if one may now."""
    now = timezone.now()
    waits = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return 0
        until = (info or {}).get("locked_until")
        waits.append(math.ceil((until - now).total_seconds()) if until else 1)
    return max(1, min(waits)) if waits else 0


def totp_device_create(*, user: User, confirmed: bool, secret: str | None = None) -> TOTPDevice:
    """Create a TOTP device with a fresh (or given) secret."""
    device = TOTPDevice(user=user, name="TOTP", confirmed=confirmed)
    device.secret = secret or new_totp_secret()
    device.save()
    return device


def totp_enrolment_device(*, request: HttpRequest, user: User) -> TOTPDevice:
    """Return this session's pending authenticator, creating one with a fresh secret.

    The secret is bound to the session: another session of the same account (someone who
    saw the password, or the enrolment page) gets a secret of its own, and confirming one
    device removes every other.
    """
    uid = request.session.get(PENDING_DEVICE_SESSION_KEY)
    pending = (
        TOTPDevice.objects.filter(user=user, confirmed=False, uid=uid).first()
        if isinstance(uid, str)
        else None
    )
    if pending is None:
        pending = totp_device_create(user=user, confirmed=False)
        request.session[PENDING_DEVICE_SESSION_KEY] = str(pending.uid)
    return pending


def password_step_record(*, user: User) -> None:
    """Record a right password: signed in, second step still to come."""
    step = "verify" if django_otp.user_has_device(user) else "enrol"
    audit.record(actor=user, action=AccountAction.PASSWORD_ACCEPTED, detail={"next": step})


def _fail(request: HttpRequest, user: User, device_kind: str) -> Outcome:
    audit.record(actor=user, action=AccountAction.OTP_FAILED, detail={"device": device_kind})
    # Count the failure towards the account lockout, like a wrong password.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": True},
        request=request,
    )
    if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
        logout(request)
        return Outcome(ok=False, locked=True)
    return Outcome(ok=False)


def _complete_login(
    request: HttpRequest, user: User, device: TOTPDevice | BackupCodeDevice
) -> None:
    django_otp.login(request, device)
    # A new session id for the verified session: a cookie captured before the second step
    # (on a shared computer, or from the password step's traffic) is worth nothing after it.
    request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
    request.session.cycle_key()
    audit.record(actor=user, action=AccountAction.LOGIN, detail={"device": device._meta.model_name})
    axes_reset(username=user.get_username())


def totp_enrolment_confirm(
    *, request: HttpRequest, user: User, device: TOTPDevice, token: str
) -> Outcome:
    """Confirm a new authenticator with its first code; issue backup codes; complete login."""
    if wait := _back_off([device]):
        return Outcome(ok=False, wait=wait)
    if not device.verify_token(token):
        return _fail(request, user, "totp")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        backup, _created = BackupCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "backup"}
        )
        codes = backup.issue_codes()
        audit.record(actor=user, action=AccountAction.OTP_ENROLLED, obj=device)
    _complete_login(request, user, device)
    return Outcome(ok=True, backup_codes=tuple(codes))


def second_factor_verify(*, request: HttpRequest, user: User, token: str) -> Outcome:
    """Check a TOTP or backup code for the signed-in user and complete the login."""
    if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
        logout(request)  # a session opened before the lockout does not keep guessing
        return Outcome(ok=False, locked=True)
    # Six ASCII digits are an app code, a backup code's shape a backup code: only that device
    # is tried, so one kind never counts against the other's throttle. Anything else (other
    # scripts' digits, stray symbols) reaches no device and is simply a failure.
    kind = code_kind(token)
    if kind is None:
        return _fail(request, user, "any")
    model = TOTPDevice if kind == "totp" else BackupCodeDevice
    with transaction.atomic():
        # Row locks: two requests with the same code cannot both pass, and each wrong code
        # counts towards the device's back-off.
        devices = list(model.objects.select_for_update().filter(user=user, confirmed=True))
        if wait := _back_off(devices):
            return Outcome(ok=False, wait=wait)
        for device in devices:
            if device.verify_token(token):
                _complete_login(request, user, device)
                return Outcome(ok=True)
    return _fail(request, user, "any")


def account_unlock(*, actor: User | None, username: str, by: str = "") -> int:
    """Lift a lockout now and record who did it: ``actor`` (None for a command, ``by`` then
    names the operator's system account). Return how many attempt records went."""
    with transaction.atomic():
        removed: int = axes_reset(username=username)
        lockout.lockout_close(username=username)
        if removed:
            user = User.objects.filter(username=username).first()
            audit.record(
                actor=actor,
                action=AccountAction.UNLOCKED,
                object_type="user",
                object_id=user.pk if user else "",
                detail={"via": "command" if actor is None else "staff_page", "by": by},
            )
    return removed


def logout_record(*, user: User) -> None:
    """Record a sign-out (called by the sign-in handler, ``accounts.signin``)."""
    audit.record(actor=user, action=AccountAction.LOGOUT)


def password_set(*, actor: User | None, user: User, password: str | None) -> None:
    """Set a user's password (None: unusable until a new invitation) and record who did it.

    The new hash ends the user's other sessions (Django's session hash). ``actor`` is the
    person who set it: the user, an approving administrator, or None for an invitation's
    visitor, who is not signed in.
    """
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(
            actor=actor,
            action=AccountAction.PASSWORD_CHANGED,
            object_type="user",
            object_id=user.pk,
        )


def second_factor_reset(*, actor: User, user: User) -> None:
    """Remove a user's authenticator and backup codes (lost phone): they enrol again at the
    next login. Their open sessions lose the verified second factor."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
        audit.record(
            actor=actor, action=AccountAction.OTP_RESET, object_type="user", object_id=user.pk
        )


def account_created(*, actor: User | None, user: User) -> None:
    """Record that an account was created, and by whom (account creation is an event).

    The creator is kept on the account: dual control never lets it approve for its maker.
    """
    if actor is not None and user.created_by_id is None:
        User.objects.filter(pk=user.pk).update(created_by=actor)
        user.created_by = actor
    audit.record(
        actor=actor, action=AccountAction.ACCOUNT_CREATED, object_type="user", object_id=user.pk
    )


# The "denied" event of the access layer (registered by cases.events, which imports us).
DENIED = "denied"
# What an account change in the admin may touch; the event names these, never their values.
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "password",
)


def _users_manage_require(actor: User | None, what: str, user: User) -> None:
    """Refuse account administration to anyone but an administrator (or a superuser)."""
    if actor is None or (actor.is_active and actor.is_superuser):
        return
    if capabilities.can(actor, capabilities.USERS_MANAGE):
        return
    audit.record(
        actor=actor,
        action=DENIED,
        object_type="user",
        object_id=user.pk or "",
        detail={"perm": what},
    )
    raise PermissionDenied


# Whether giving an account back its access waits for a second person: each gate is asked
# (registered by the app that owns roles and their requests, ``cases.resets``); one that
# answers True has recorded a pending request, and the account stays inactive.
ReactivationGate = Callable[[User, User], bool]
_reactivation_gates: list[ReactivationGate] = []


def register_reactivation_gate(gate: ReactivationGate) -> None:
    """Add a function ``gate(actor, user)`` that holds a reactivation for a second person."""
    if gate not in _reactivation_gates:
        _reactivation_gates.append(gate)


def _reactivation_held(actor: User, user: User) -> bool:
    return any([gate(actor, user) for gate in _reactivation_gates])


def user_save(*, actor: User | None, user: User) -> User:
    """Add or change an account (the admin's user pages); the event names what changed.

    Deactivating an account ends its reach at once; the event says so with the field names
    (``is_active``), as for any other change. Reactivating one gives its reach back, so a
    registered gate may hold it for a second person (ASVS 8.1 / 1.2): the account is saved
    with every other change but stays inactive until the request is approved.
    ``actor=None`` is the system itself (a command run on the server), which applies
    directly. Roles are not set here: they follow the staff profile (``cases.roles``).
    """
    _users_manage_require(actor, "change_user", user)
    with transaction.atomic():
        old = User.objects.select_for_update().filter(pk=user.pk).first() if user.pk else None
        if (
            actor is not None
            and old is not None
            and user.is_active
            and not old.is_active
            and _reactivation_held(actor, user)
        ):
            user.is_active = False
        user.save()
        if old is None:
            account_created(actor=actor, user=user)
            return user
        fields = sorted(f for f in USER_FIELDS if getattr(old, f) != getattr(user, f))
        if fields:
            audit.record(
                actor=actor,
                action=AccountAction.USER_CHANGED,
                object_type="user",
                object_id=user.pk,
                detail={"fields": fields},
            )
    return user


def user_delete(*, actor: User | None, user: User) -> None:
    """Delete an account (a superuser's admin page) and record it."""
    _users_manage_require(actor, "delete_user", user)
    with transaction.atomic():
        audit.record(
            actor=actor, action=AccountAction.USER_DELETED, object_type="user", object_id=user.pk
        )
        user.delete()
