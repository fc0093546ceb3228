"""Write API clients, their tokens, their calls and what sync handed them; each an event.

A client is created by an administrator together with its service account; the account's
role goes through ``cases.roles.staff_profile_save``, so a second person approves it on the
same page as any role change before the token opens anything (dual control, ASVS 8.1).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import account_created, user_save
from accounts.models import User
from audit import actions as audit
from cases import access
from cases.choices import Role
from cases.models import AdministrativeUnit, Organisation, RoleChangeRequest, StaffProfile
from cases.roles import staff_profile_save
from cases.staff import users_manage_require

from . import tokens
from .events import ApiAction
from .models import ApiClient, ApiRateWindow, SyncState

# The roles a machine may hold: those with case content. Administrators and auditors see
# none, so a client in their role could do nothing.
CLIENT_ROLES = (Role.CASEWORKER, Role.COMMUNE_OFFICER, Role.SUPERVISOR)
MAX_DAYS = 366
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    token: str  # shown once, never stored
    pending: RoleChangeRequest | None


def api_client_create(
    *,
    actor: User,
    name: str,
    organisation: Organisation,
    scope_unit: AdministrativeUnit,
    role: str,
    days: int,
    rate_per_minute: int = 120,
) -> CreatedClient:
    """Create a client, its service account and its token; the role waits for a second person."""
    users_manage_require(actor=actor, what="create_api_client")
    if not NAME.match(name):
        raise ValidationError(
            {"name": _("Use 2 to 61 lower-case letters, digits and hyphens, e.g. bo-ldtbxh.")}
        )
    if role not in CLIENT_ROLES:
        raise ValidationError({"role": _("An API client holds a role that sees case records.")})
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("A token lasts from 1 to 366 days.")})
    account = User(
        username=f"api-{name}", first_name="API", last_name=name, is_service_account=True
    )
    account.set_unusable_password()
    token = tokens.make()
    client = ApiClient(
        name=name,
        account=account,
        token_prefix=token.prefix,
        token_hash=token.digest,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        rate_per_minute=rate_per_minute,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            account.full_clean()
            account.save()
            account_created(actor=actor, user=account)
            client.account = account
            client.full_clean()
            client.save()
            profile = StaffProfile(
                user=account, organisation=organisation, role=role, scope_unit=scope_unit
            )
            _profile, pending = staff_profile_save(actor=actor, profile=profile)
            audit.record(
                actor=actor,
                action=ApiAction.CLIENT_CREATED,
                obj=client,
                detail={
                    "client": str(client.pk),
                    "account": account.pk,
                    "role": role,
                    "organisation": str(organisation.pk),
                    "scope_unit": scope_unit.pk,
                    "expires_at": client.expires_at.isoformat(),
                },
            )
    except IntegrityError:
        raise ValidationError({"name": _("This name is already taken.")}) from None
    return CreatedClient(client=client, token=token.text, pending=pending)


def api_token_issue(*, actor: User, client: ApiClient, days: int) -> str:
    """Replace a client's token (the old one stops working at once); return the new one."""
    users_manage_require(actor=actor, what="issue_api_token")
    if client.revoked_at is not None:
        raise ValidationError(_("This client has been revoked."))
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("A token lasts from 1 to 366 days.")})
    token = tokens.make()
    with transaction.atomic():
        client.token_prefix, client.token_hash = token.prefix, token.digest
        client.expires_at = timezone.now() + datetime.timedelta(days=days)
        client.save(update_fields=["token_prefix", "token_hash", "expires_at"])
        audit.record(
            actor=actor,
            action=ApiAction.TOKEN_ISSUED,
            obj=client,
            detail={"client": str(client.pk), "expires_at": client.expires_at.isoformat()},
        )
    return token.text


def api_client_revoke(*, actor: User, client: ApiClient) -> ApiClient:
    """Revoke a client for good: its token is refused and its account deactivated from now on.

    The inactive account has no session (Django drops an inactive user's session at its next
    request), no reach and no place in any list; the account's change is its own event
    (``user_changed``, ``is_active``) beside ``api_client_revoked``.
    """
    users_manage_require(actor=actor, what="revoke_api_client")
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().select_related("account").get(pk=client.pk)
        if locked.revoked_at is None:
            locked.revoked_at, locked.revoked_by = timezone.now(), actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit.record(
                actor=actor,
                action=ApiAction.CLIENT_REVOKED,
                obj=locked,
                detail={"client": str(locked.pk)},
            )
        if locked.account.is_active:
            locked.account.is_active = False
            user_save(actor=actor, user=locked.account)
    return locked


# --- calls ---------------------------------------------------------------------------------


class TokenRefused(Exception):
    """The bearer token opens nothing: unknown, malformed, expired, revoked or not approved."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(Exception):
    """The client made more calls this minute than it may."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _refuse(reason: str, client: ApiClient | None, prefix: str | None) -> TokenRefused:
    audit.record(
        actor=client.account if client is not None else None,
        action=ApiAction.TOKEN_REFUSED,
        obj=client,
        object_type="apiclient",
        detail={
            "reason": reason,
            "prefix": prefix or "",
            "client": str(client.pk) if client else "",
        },
    )
    return TokenRefused(reason)


def api_call_begin(*, token: str, method: str, path: str) -> ApiClient:
    """Return the client a token names once it is checked and its call recorded.

    Refused (``TokenRefused``, an ``api_token_refused`` event) for a malformed or unknown
    token, a wrong secret, an expired or revoked client, or one whose role a second person
    has not approved yet; ``RateLimited`` past the client's calls per minute (one
    ``api_rate_limited`` event per client and minute, the rest counted on its window).
    """
    prefix = tokens.prefix_of(token)
    client = (
        ApiClient.objects.select_related("account").filter(token_prefix=prefix).first()
        if prefix
        else None
    )
    if client is None or not tokens.matches(token, client.token_hash):
        raise _refuse("unknown" if prefix else "malformed", None, prefix)
    now = timezone.now()
    if client.revoked_at is not None:
        raise _refuse("revoked", client, prefix)
    if client.expires_at <= now:
        raise _refuse("expired", client, prefix)
    if not client.account.is_active or not access.roles_of(client.account):
        raise _refuse("not_approved", client, prefix)
    _count_call(client, now)
    audit.record(
        actor=client.account,
        action=ApiAction.CALLED,
        obj=client,
        detail={"client": str(client.pk), "method": method, "path": path[:200]},
    )
    return client


def _count_call(client: ApiClient, now: datetime.datetime) -> None:
    """Count the call on the client's window of this minute; refuse it past the limit."""
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        window, created = ApiRateWindow.objects.get_or_create(client=client, minute=minute)
        if created:  # the client's past minutes are no longer needed
            ApiRateWindow.objects.filter(client=client, minute__lt=minute).delete()
        ApiRateWindow.objects.filter(pk=window.pk).update(calls=F("calls") + 1)
        window.refresh_from_db(fields=["calls", "refused"])
        if window.calls <= client.rate_per_minute:
            return
        ApiRateWindow.objects.filter(pk=window.pk).update(refused=F("refused") + 1)
        if window.refused == 0:
            audit.record(
                actor=client.account,
                action=ApiAction.RATE_LIMITED,
                obj=client,
                detail={"client": str(client.pk), "limit": client.rate_per_minute},
            )
    raise RateLimited(retry_after=max(1, 60 - now.second))


# --- sync (``api.sync``) --------------------------------------------------------------------


class BadCursor(ValueError):
    """The cursor is not one this client was given."""


def client_of(user: Any) -> ApiClient | None:
    """Return the API client whose service account this is, if any."""
    if not isinstance(user, User):
        return None
    return ApiClient.objects.filter(account=user).first()


def refuse_not_client(user: Any) -> NoReturn:
    """Refuse (denial event) the sync to anyone but an API client."""
    access.deny(user, "api_sync", object_type="apiclient")
    raise PermissionDenied


# --- the change feed -----------------------------------------------------------------------

PRUNE_BATCH = 10_000
_LAST_SEQ = 2**63 - 1


def _prune_below() -> tuple[int, int]:
    """Return the last feed position no client can still need (decision D59, pruning).

    Taken with the sync states locked (``EXCLUSIVE``: a page holds its state row from its
    start, so every page running has ended and none starts until the caller commits), so no
    walk can be starting from a horizon older than the one read here. A state with no reach
    walks again on its next page from the horizon of then, which is never older: it holds
    nothing. The others hold their position: what follows it they still need.
    """
    with connection.cursor() as cursor:
        cursor.execute('LOCK TABLE "api_syncstate" IN EXCLUSIVE MODE')
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
            " pg_current_xact_id_if_assigned()::text::bigint"
        )
        xmin, own = cursor.fetchone()
    # Every row of a transaction below the horizon; this one's own too when it is the oldest
    # running (its rows are final to itself, as sync reads them: ``api.sync._horizon``).
    below = (int(own) if own == xmin else int(xmin) - 1, _LAST_SEQ)
    held = (
        SyncState.objects.exclude(reach="")
        .order_by("feed_xid", "feed_seq")
        .values_list("feed_xid", "feed_seq")
        .first()
    )
    return min(below, held) if held else below


def change_feed_prune(*, batch: int = PRUNE_BATCH) -> int:
    """Delete, in batches, the change feed rows every sync client has passed; return how many.

    Rows at or before the oldest position a client holds go, and with no client holding one,
    every row of a transaction that ended before the oldest one running (a client starting
    later walks what it sees and reads the feed from there). A revoked client holds nothing
    (its token is refused for good): its state is cleared to walk again, so the ledger stays
    true should it ever page. Never a row a client may still need. One event with the count.
    """
    if connection.vendor != "postgresql":
        return 0  # no feed on SQLite (the demo)
    with transaction.atomic():
        SyncState.objects.filter(client__revoked_at__isnull=False).exclude(reach="").update(
            reach=""
        )
        xid, seq = _prune_below()
    removed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                'DELETE FROM "api_change" WHERE "seq" IN (SELECT "seq" FROM "api_change"'
                ' WHERE ("xid", "seq") <= (%s, %s) ORDER BY "xid", "seq" LIMIT %s)',
                [xid, seq, batch],
            )
            done = int(cursor.rowcount)
        removed += done
        if done < batch:
            break
    audit.record(
        actor=None,
        action=ApiAction.FEED_PRUNED,
        detail={"count": removed, "below_xid": xid, "below_seq": seq},
    )
    return removed
