"""Turn sign-in signals (Django's and django-axes') into access events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver

from accounts import lockout
from accounts.events import AccountAction
from accounts.models import Lockout, User
from audit import actions as audit
from audit import context as audit_context


def _user_named(username: Any) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return User.objects.filter(username=username).first()


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    if credentials.get("second_factor"):
        return  # recorded as OTP_FAILED by accounts.actions
    user = _user_named(credentials.get("username"))
    # An unknown username is not written down: people type their password there. One
    # event per window of refusals (also those during a lockout), the rest counted.
    lockout.login_failure_record(user=user, ip=audit_context.current().ip)


@receiver(user_logged_in)
def on_logged_in(sender: Any, user: User, **kwargs: Any) -> None:
    # The refusals before a right password are written before it, in order.
    lockout.failure_windows_close(user=user)


@receiver(pre_save, sender=User)
def on_password_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    # A new password ends the user's other sessions (Django's session hash); the change, and
    # who made it (the user, or an administrator in the admin), is an event.
    if instance.pk is None or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. last_login on every sign-in: no need to read the stored hash
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        # A third-party save (Django's password forms): the request's user made it.
        audit.record(
            actor=audit_context.acting_user(), action=AccountAction.PASSWORD_CHANGED,  # type: ignore[arg-type]
            object_type="user", object_id=instance.pk,
        )  # fmt: skip


@receiver(user_logged_out)
def on_logged_out(sender: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action=AccountAction.LOGOUT)


@receiver(user_locked_out)
def on_locked_out(sender: Any, username: str | None = None, **kwargs: Any) -> None:
    # django-axes signals again for every attempt refused during the lockout (and several
    # parallel guesses cross the limit together): the Lockout row, unique per name, lets
    # only the first signal of a lockout write its event.
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    with transaction.atomic():
        _lockout, opened = Lockout.objects.get_or_create(username=username or "")
        if not opened:
            return
        user = _user_named(username)
        audit.record(
            actor=user, action=AccountAction.LOCKED_OUT, object_type="user",
            object_id=user.pk if user else "",
            detail={"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT},
        )  # fmt: skip


_unlocking: ContextVar[bool] = ContextVar("hoa_nhap_unlocking", default=False)


@contextmanager
def unlocking() -> Iterator[None]:
    """Mark an explicit unlock, which records its own event with who did it."""
    token = _unlocking.set(True)
    try:
        yield
    finally:
        _unlocking.reset(token)


@receiver(post_delete, sender=AccessAttempt)
def on_attempts_cleared(sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    # Attempts are removed when the cool-off ends (or by an explicit unlock, recorded there).
    # The lockout ends with the name's last attempt row (one per IP address and browser).
    if AccessAttempt.objects.filter(username=instance.username).exists():
        return
    ended, _ = Lockout.objects.filter(username=instance.username).delete()
    if not ended or _unlocking.get():
        return
    user = _user_named(instance.username)
    # The actor is whoever is signed in (an administrator), or nobody for a cool-off.
    audit.record(
        actor=audit_context.acting_user(),  # type: ignore[arg-type]
        action=AccountAction.UNLOCKED, object_type="user",
        object_id=user.pk if user else "", detail={"via": "cool-off"},
    )  # fmt: skip
