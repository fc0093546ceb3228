"""The sign-in handler django-axes calls: its counting, then our events, in one visible place.

django-axes routes every refused login, sign-in and sign-out to the handler named by
``AXES_HANDLER``. This one keeps axes' database counting and adds, as explicit calls to
``accounts.lockout`` and ``accounts.actions``, what the audit trail needs: the refused login
(one event per counting window), the lockout when the limit is crossed (one event however
many requests hit it), its end when the cool-off clears the attempts, and sign-in and
sign-out. No signal receiver of ours writes.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.http import HttpRequest

from audit import context as audit_context

from . import actions, lockout
from .models import User


class SignInHandler(AxesDatabaseHandler):  # type: ignore[misc]
    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if not credentials.get("second_factor"):  # a wrong code is recorded as OTP_FAILED
            # An unknown username is not written down: people type their password there.
            user = lockout.user_named(credentials.get("username"))
            lockout.login_failure_record(user=user, ip=audit_context.current().ip)
        if request is not None and getattr(request, "axes_locked_out", False):
            lockout.lockout_open(username=lockout.lockout_username(request, credentials))

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        # The refusals before a right password are written before it, in order.
        lockout.failure_windows_close(user=user)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_out(sender, request, user, **kwargs)
        if isinstance(user, User):
            actions.logout_record(user=user)

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict[str, Any] | None = None
    ) -> int:
        removed: int = super().clean_expired_user_attempts(request, credentials)
        lockout.lockouts_end_after_cool_off()
        return removed
