"""Count refused logins: what django-axes counts failures against (the account's username,
or a keyed hash of a name that matches no account: people sometimes type their password
into the name field), the windows that turn many refusals into few access events, and the
lockout's start and end as events. Called by the sign-in handler (``accounts.signin``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.events import AccountAction
from accounts.models import Lockout, LoginFailureWindow, User
from audit import actions as audit
from audit import context as audit_context


def user_named(username: Any) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return User.objects.filter(username=username).first()


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    name = (credentials or {}).get("username") or ""
    if not isinstance(name, str) or not name:
        return ""
    if User.objects.filter(username=name).exists():
        return name
    return (
        "unknown:"
        + salted_hmac("hoa_nhap.lockout", name.casefold(), algorithm="sha256").hexdigest()[:24]
    )


def _window_key(user: User | None, ip: str | None) -> str:
    # Names that match no account share one window per address: a spray of made-up names
    # is one event, and no name typed is kept.
    return f"{user.pk if user is not None else '-'}|{ip or ''}"


def login_failure_record(*, user: User | None, ip: str | None) -> None:
    """Count a refused login; record an event only for the first refusal of its window.

    Windows that have ended are summarised first, so events stay in order.
    """
    now = timezone.now()
    failure_windows_close(now=now)
    key = _window_key(user, ip)
    with transaction.atomic():
        window = LoginFailureWindow.objects.select_for_update().filter(key=key).first()
        if window is None:
            try:
                with transaction.atomic():
                    LoginFailureWindow.objects.create(
                        key=key, user=user, ip=ip, started_at=now, last_at=now
                    )
            except IntegrityError:
                pass  # a parallel refusal opened the window: count this one in it
            else:
                audit.record(
                    actor=user,
                    action=AccountAction.LOGIN_FAILED,
                    detail={"known_user": user is not None},
                )
                return
        LoginFailureWindow.objects.filter(key=key).update(
            unreported=F("unreported") + 1, last_at=now
        )


def failure_windows_close(*, now: datetime | None = None, user: User | None = None) -> int:
    """End the counting windows that are over (and every window of ``user``, who just
    gave the right password); record how many refusals each did not record. Return how
    many windows ended."""
    cutoff = (now or timezone.now()) - settings.HOA_NHAP_LOGIN_FAILURE_WINDOW
    ended = Q(started_at__lte=cutoff) | (Q(user=user) if user is not None else Q(pk__in=[]))
    closed = 0
    with transaction.atomic():
        windows = (
            LoginFailureWindow.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(ended)
            .select_related("user")
            .order_by("started_at")
        )
        for window in windows:
            if window.unreported:
                # The summary carries the window's address, not the request that ends it.
                with audit_context.bound(audit_context.RequestContext(ip=window.ip)):
                    audit.record(
                        actor=window.user,
                        action=AccountAction.LOGIN_FAILED_REPEATED,
                        object_type="user",
                        object_id=window.user_id or "",
                        detail={
                            "known_user": window.user_id is not None,
                            "failures": window.unreported,
                            "first": window.started_at.isoformat(),
                            "last": window.last_at.isoformat(),
                        },
                    )
            window.delete()
            closed += 1
    return closed


def lockout_open(*, username: str) -> None:
    """Record a lockout once: its row, unique per name, lets only the first refusal write.

    django-axes reports the lockout again for every attempt refused during it (and several
    parallel guesses cross the limit together).
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    with transaction.atomic():
        _lockout, opened = Lockout.objects.get_or_create(username=username)
        if not opened:
            return
        user = user_named(username)
        audit.record(
            actor=user,
            action=AccountAction.LOCKED_OUT,
            object_type="user",
            object_id=user.pk if user else "",
            detail={"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT},
        )


def lockout_close(*, username: str) -> bool:
    """End a name's lockout row (an explicit unlock records its own event); return whether
    there was one."""
    ended, _ = Lockout.objects.filter(username=username).delete()
    return bool(ended)


def lockouts_end_after_cool_off() -> int:
    """End the lockouts whose attempts the cool-off removed, one event each; return how many.

    A lockout lasts while its name has an attempt row (one per address and browser).
    """
    ended = 0
    over = Lockout.objects.exclude(username__in=AccessAttempt.objects.values("username"))
    for username in over.values_list("username", flat=True):
        with transaction.atomic():
            if not lockout_close(username=username):
                continue  # a parallel request ended it
            user = user_named(username)
            # The actor is whoever is signed in, or nobody for a cool-off seen at sign-in.
            audit.record(
                actor=audit_context.acting_user(),  # type: ignore[arg-type]
                action=AccountAction.UNLOCKED, object_type="user",
                object_id=user.pk if user else "", detail={"via": "cool-off"},
            )  # fmt: skip
            ended += 1
    return ended
