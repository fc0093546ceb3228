"""Own the newcomer's invitation: a one-time link and an activation code from a second person.

The administrator who creates an account gets the link; its token is exchanged for a session
at the first visit and redirected to a token-free page, so the address that reaches access
logs is dead by then, and an unused link expires after ``INVITATION_HOURS``. The first
password is set only with the activation code, which a second person (an approver who is
not in the creator's chain, ``cases.chain``) is shown once and hands over in person. One
person alone therefore never finishes an account they made.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import capabilities
from accounts.actions import password_set
from accounts.models import AnyUser, Invitation, User, is_account
from audit import actions as audit
from audit.registry import ACCESS_CHANGE, register

from . import access, chain
from . import capabilities as caps
from .choices import Role
from .models import RoleChangeRequest
from .staff import StaffAction

SESSION_KEY = "hoa_nhap_invitation"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 10
# Wrong activation codes an invitation survives; then it is dead and a new one is needed.
CODE_ATTEMPTS = 5
_DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


class InvitationAction:
    ISSUED = StaffAction.INVITATION_ISSUED
    OPENED = register("invitation_opened", gettext_lazy("Opened an invitation link"))
    CODE_ISSUED = register(
        "invitation_code_issued",
        gettext_lazy("Handed over an activation code"),
        kind=ACCESS_CHANGE,
    )
    ACCEPTED = register("invitation_accepted", gettext_lazy("Set the first password"))


def _digest(kind: str, value: str) -> str:
    return salted_hmac(f"hoa_nhap.invitation.{kind}", value, algorithm="sha256").hexdigest()


def _normal_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _denied(actor: AnyUser | None, user_id: Any, perm: str) -> None:
    access.deny(actor, perm, object_type="user", object_id=user_id or "")


def invitation_issue(*, actor: User, user: User) -> str:
    """Issue a fresh invitation link (the earlier one dies) and return its path.

    Never to an API client's service account: a password would let a person sign in as
    the machine (refused and recorded, ASVS 6.4.1)."""
    if user.is_service_account:
        _denied(actor, user.pk, "invite_service_account")
        raise ValidationError(
            _("This is an API client's account: it uses its token and cannot be invited.")
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(user=user).first()
        invitation = invitation or Invitation(user=user)
        # Never both halves from one person; a used invitation (a reset password) starts over.
        if invitation.code_issued_by_id == actor.pk or invitation.used_at is not None:
            invitation.code_digest, invitation.code_issued_by = "", None
            invitation.code_failures, invitation.used_at = 0, None
        invitation.token_digest = _digest("token", token)
        invitation.issued_by, invitation.issued_at = actor, now
        invitation.expires_at = now + timedelta(hours=settings.INVITATION_HOURS)
        invitation.opened_at = None
        invitation.save()
        audit.record(
            actor=actor,
            action=InvitationAction.ISSUED,
            object_type="user",
            object_id=user.pk,
            detail={"expires_at": invitation.expires_at.isoformat()},
        )
    return reverse("cases:staff_welcome_open", kwargs={"token": token})


def _mail_enabled() -> bool:
    config = getattr(settings, "MAILERS", {}).get("default")
    return config is not None and config.get("BACKEND", "") != _DUMMY_MAIL


def _send_link(address: str, link: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Hòa Nhập: your invitation")
        body = _(
            "Open this link to set your password (it opens once):\n%(link)s\n\nYou also "
            "need the activation code that a second person gives you in person."
        ) % {"link": link}
    EmailMessage(subject, body, None, [address]).send()


def invitation_deliver(*, user: User, link: str) -> bool:
    """Send the link to the account's own address when a mailer is set up, so that the
    administrator never sees it; return whether it goes by e-mail."""
    if not user.email or not _mail_enabled():
        return False
    # Sent from this request, not from the background worker: a task's arguments are stored
    # in clear in the task table, and this link is a live one-time secret (decision D36).
    transaction.on_commit(partial(_send_link, user.email, link), robust=True)
    return True


def _live(now: Any) -> Q:
    """Unused, not expired, for an account without a password (new, or reset)."""
    return Q(
        used_at__isnull=True,
        expires_at__gt=now,
        user__password__startswith=UNUSABLE_PASSWORD_PREFIX,
        user__is_active=True,
    )


def invitation_open(*, token: str, session: SessionBase) -> bool:
    """Exchange a link's token for this session, once; a used, old or unknown link is
    refused and recorded."""
    now = timezone.now()
    with transaction.atomic():
        found = (
            Invitation.objects.select_for_update()
            .filter(token_digest=_digest("token", token))
            .first()
        )
        live = (
            found is not None
            and found.opened_at is None
            and Invitation.objects.filter(_live(now), pk=found.pk).exists()
        )
        if found is not None and live:
            found.opened_at = now
            found.save(update_fields=["opened_at"])
            audit.record(
                actor=None,
                action=InvitationAction.OPENED,
                object_type="user",
                object_id=found.user_id,
            )
    if found is None or not live:
        _denied(None, found.user_id if found else "", "open_invitation")
        return False
    session.cycle_key()
    session[SESSION_KEY] = str(found.pk)
    return True


def invitation_in_session(*, session: SessionBase) -> Invitation | None:
    """Return the live invitation this session opened, if any."""
    pk = session.get(SESSION_KEY)
    if not isinstance(pk, str):
        return None
    return (
        Invitation.objects.filter(_live(timezone.now()), pk=pk, opened_at__isnull=False)
        .select_related("user")
        .first()
    )


def invitation_accept(
    *, invitation: Invitation, code: str, password: str, session: SessionBase
) -> User:
    """Set the first password with the activation code; a wrong code is counted and
    recorded, and after ``CODE_ATTEMPTS`` of them the invitation is dead."""
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(_live(now), pk=invitation.pk).first()
        if locked is None:
            raise ValidationError(_("This invitation no longer works. Ask for a new one."))
        right = bool(locked.code_digest) and constant_time_compare(
            _digest("code", f"{locked.pk}:{_normal_code(code)}"), locked.code_digest
        )
        if right:
            user = locked.user
            password_set(actor=None, user=user, password=password)
            locked.used_at = now
            locked.save(update_fields=["used_at"])
            audit.record(
                actor=None,
                action=InvitationAction.ACCEPTED,
                object_type="user",
                object_id=user.pk,
                detail={"code_from": locked.code_issued_by_id},
            )
            session.pop(SESSION_KEY, None)
            return user
        locked.code_failures += 1
        if locked.code_failures >= CODE_ATTEMPTS:
            locked.expires_at = now
        locked.save(update_fields=["code_failures", "expires_at"])
        _denied(None, locked.user_id, "invitation_code")
    if not locked.code_digest:
        raise ValidationError(
            _(
                "No activation code has been handed over for this account yet. Ask a second "
                "person (another administrator or a supervisor) to give it to you in person."
            )
        )
    raise ValidationError(_("That activation code is not right."))


def awaiting_code(*, viewer: AnyUser) -> QuerySet[Invitation]:
    """Return the live invitations whose activation code this viewer may hand over."""
    if not capabilities.can(viewer, caps.STAFF_APPROVE) or not is_account(viewer):
        return Invitation.objects.none()
    found = (
        Invitation.objects.filter(_live(timezone.now()), code_digest="")
        .exclude(issued_by__in=chain.blocked_requesters(viewer))
        .exclude(user__created_by__in=chain.blocked_requesters(viewer))
        .exclude(user__in=chain.family(viewer))
        .select_related("user", "issued_by")
        .order_by("issued_at")
    )
    if capabilities.has_role(viewer, Role.ADMINISTRATOR):
        return found
    path = viewer.staff.scope_unit.path
    pending = RoleChangeRequest.objects.filter(
        status=RoleChangeRequest.Status.PENDING,
        scope_unit__path__startswith=path,
        organisation__unit__path__startswith=path,
    ).values("user_id")
    covered = Q(
        user__staff__scope_unit__path__startswith=path,
        user__staff__organisation__unit__path__startswith=path,
    )
    return found.filter(covered | Q(user__in=pending))


def invitation_code_issue(*, actor: User, invitation_id: UUID) -> str:
    """Show a second person the activation code, once, to hand over in person."""
    with transaction.atomic():
        locked = awaiting_code(viewer=actor).select_for_update(of=("self",))
        invitation = locked.filter(pk=invitation_id).first()
        if invitation is not None:
            code = "".join(secrets.choice(CODE_ALPHABET) for _n in range(CODE_LENGTH))
            invitation.code_digest = _digest("code", f"{invitation.pk}:{code}")
            invitation.code_issued_by = actor
            invitation.code_failures = 0
            invitation.save(update_fields=["code_digest", "code_issued_by", "code_failures"])
            audit.record(
                actor=actor,
                action=InvitationAction.CODE_ISSUED,
                object_type="user",
                object_id=invitation.user_id,
            )
            return f"{code[:5]}-{code[5:]}"
    user_id = Invitation.objects.filter(pk=invitation_id).values_list("user_id", flat=True)
    _denied(actor, user_id.first(), "hand_over_activation_code")
    raise Http404
